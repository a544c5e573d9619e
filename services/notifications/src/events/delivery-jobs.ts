import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PoisonMessageError, PROTOBUF_CONTENT_TYPE, type EventEnvelope, type OutboxMessage } from "@souk/messaging";
import { DeliveryJobSchema } from "@souk/contracts/notifications";
import type { Clock, IdGenerator } from "@souk/platform";
import type { Delivery, DeliveryChannel } from "../domain/delivery.ts";
import type { TraceContext } from "../domain/ports.ts";
import type { DeliveryJobEncoder } from "../store/notification.store.ts";

/** The job queues of notifications: one per channel (RabbitMQ quorum queues when distributed). */
export const QUEUES: Readonly<Record<DeliveryChannel, string>> = {
  email: "notifications.email",
  webhook: "notifications.webhook",
};

/** CloudEvents types of the jobs, per channel. */
export const JOB_TYPES: Readonly<Record<DeliveryChannel, string>> = {
  email: "souk.notifications.email-job.v1",
  webhook: "souk.notifications.webhook-job.v1",
};

/** CloudEvents source of the jobs. */
export const JOB_SOURCE = "/souk/notifications";

const DATASCHEMA = `proto:${DeliveryJobSchema.typeName}`;

/**
 * The CloudEvents envelope of a job for delivery `deliveryId` on `channel`: job id `id`,
 * `subject` the delivery id, a Protobuf `DeliveryJob` payload naming the delivery, and the trace
 * context of the event that caused it.
 */
export function deliveryJob(
  deliveryId: string,
  channel: DeliveryChannel,
  id: string,
  time: Date,
  trace: TraceContext,
): EventEnvelope {
  return {
    id,
    source: JOB_SOURCE,
    type: JOB_TYPES[channel],
    subject: deliveryId,
    time,
    datacontenttype: PROTOBUF_CONTENT_TYPE,
    dataschema: DATASCHEMA,
    data: toBinary(DeliveryJobSchema, create(DeliveryJobSchema, { deliveryId })),
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
  };
}

/**
 * The outbox encoder of delivery jobs: `deliveryJob` to the channel's queue, with a new UUIDv7
 * id per job (a replay is a new job).
 */
export function deliveryJobEncoder(newId: IdGenerator, clock: Clock): DeliveryJobEncoder {
  return (delivery: Delivery, trace): OutboxMessage => ({
    destination: QUEUES[delivery.channel],
    event: deliveryJob(delivery.id, delivery.channel, newId(), clock(), trace),
  });
}

/**
 * The delivery id a job of `channel` names.
 * @throws PoisonMessageError `unknown_type` (not this channel's job type), `unsupported_content_type`,
 *   `malformed_payload` (bytes that are not a DeliveryJob, or no delivery id): such a job can never succeed.
 */
export function decodeDeliveryJob(job: EventEnvelope, channel: DeliveryChannel): string {
  if (job.type !== JOB_TYPES[channel]) {
    throw new PoisonMessageError("unknown_type", `${QUEUES[channel]} does not take jobs of type "${job.type}"`);
  }
  if (job.datacontenttype !== PROTOBUF_CONTENT_TYPE) {
    throw new PoisonMessageError("unsupported_content_type", `a delivery job must be ${PROTOBUF_CONTENT_TYPE}`);
  }
  let deliveryId: string;
  try {
    deliveryId = fromBinary(DeliveryJobSchema, job.data).deliveryId;
  } catch (error) {
    throw new PoisonMessageError("malformed_payload", "the delivery job does not decode", { cause: error });
  }
  if (deliveryId === "") throw new PoisonMessageError("malformed_payload", "the delivery job names no delivery");
  return deliveryId;
}

/** The delivery id of a dead job, or null when it cannot be decoded (it is recorded all the same). */
export function deadJobDeliveryId(job: EventEnvelope, channel: DeliveryChannel): string | null {
  try {
    return decodeDeliveryJob(job, channel);
  } catch (error) {
    if (error instanceof PoisonMessageError) return null;
    throw error;
  }
}
