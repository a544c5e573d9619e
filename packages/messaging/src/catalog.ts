import {
  fromBinary,
  toBinary,
  create,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  OrderRefundedSchema,
} from "@souk/contracts/events/orders";
import { PaymentChangedSchema } from "@souk/contracts/events/payments";
import { UserRegisteredSchema } from "@souk/contracts/events/users";
import { currentTraceCarrier, newId } from "@souk/platform";
import { PoisonMessageError, PROTOBUF_CONTENT_TYPE, SPEC_VERSION, type EventEnvelope } from "./envelope.ts";
import type { OutboxMessage } from "./outbox.ts";
import type { TopicSpec } from "./event-log.ts";

/** Souk's Kafka topics (one per publishing aggregate, partitioned by subject). */
export const TOPICS = {
  orders: "souk.orders.v1",
  payments: "souk.payments.v1",
  users: "souk.users.v1",
} as const;

/** Topic specs to create at start-up (6 partitions each; `.dlq` twins are created alongside). */
export const TOPIC_SPECS: readonly TopicSpec[] = Object.values(TOPICS).map((name) => ({ name, partitions: 6 }));

/** One event type of the catalogue: its CloudEvents type, payload schema and topic. */
export interface EventDefinition<S extends DescMessage = DescMessage> {
  readonly type: string;
  readonly schema: S;
  readonly topic: string;
  /** `proto:<full message name>`: the CloudEvents `dataschema` consumers check. */
  readonly dataschema: string;
}

function define<S extends DescMessage>(type: string, schema: S, topic: string): EventDefinition<S> {
  return { type, schema, topic, dataschema: `proto:${schema.typeName}` };
}

/** Every event type Souk publishes. Consumers decode with `decodeEvent`. */
export const EVENTS = {
  orderPlaced: define("souk.order.placed.v1", OrderPlacedSchema, TOPICS.orders),
  orderConfirmed: define("souk.order.confirmed.v1", OrderConfirmedSchema, TOPICS.orders),
  orderCancelled: define("souk.order.cancelled.v1", OrderCancelledSchema, TOPICS.orders),
  orderRefunded: define("souk.order.refunded.v1", OrderRefundedSchema, TOPICS.orders),
  paymentAuthorized: define("souk.payment.authorized.v1", PaymentChangedSchema, TOPICS.payments),
  paymentCaptured: define("souk.payment.captured.v1", PaymentChangedSchema, TOPICS.payments),
  paymentVoided: define("souk.payment.voided.v1", PaymentChangedSchema, TOPICS.payments),
  paymentRefunded: define("souk.payment.refunded.v1", PaymentChangedSchema, TOPICS.payments),
  paymentFailed: define("souk.payment.failed.v1", PaymentChangedSchema, TOPICS.payments),
  userRegistered: define("souk.user.registered.v1", UserRegisteredSchema, TOPICS.users),
} as const;

const byType = new Map<string, EventDefinition>(Object.values(EVENTS).map((d) => [d.type, d]));

/** Options of `newEvent`. */
export interface NewEventOptions {
  /** CloudEvents source of the producer, e.g. `/souk/orders`. */
  readonly source: string;
  /** The aggregate id (partition key). */
  readonly subject: string;
  readonly time: Date;
  /** Event id; default a new UUIDv7. */
  readonly id?: string;
}

/**
 * Builds the envelope of a catalogue event: encodes `payload` with its Protobuf schema and
 * stamps id, time and the active trace context (`traceparent`), ready for `appendToOutbox`.
 */
export function newEvent<S extends DescMessage>(
  definition: EventDefinition<S>,
  payload: MessageInitShape<S>,
  options: NewEventOptions,
): OutboxMessage {
  const trace = currentTraceCarrier();
  return {
    destination: definition.topic,
    event: {
      id: options.id ?? newId(),
      source: options.source,
      type: definition.type,
      subject: options.subject,
      time: options.time,
      datacontenttype: PROTOBUF_CONTENT_TYPE,
      dataschema: definition.dataschema,
      data: toBinary(definition.schema, create(definition.schema, payload)),
      traceparent: trace.traceparent,
      tracestate: trace.tracestate,
    },
  };
}

/** A decoded catalogue event. */
export interface DecodedEvent<S extends DescMessage = DescMessage> {
  readonly definition: EventDefinition<S>;
  readonly payload: MessageShape<S>;
}

/** True when `decoded` is of `definition`'s type (narrows the payload). */
export function isEvent<S extends DescMessage>(
  decoded: DecodedEvent,
  definition: EventDefinition<S>,
): decoded is DecodedEvent<S> {
  return decoded.definition.type === definition.type;
}

/**
 * Decodes a catalogue event's payload, checking the CloudEvents attributes first.
 *
 * @throws PoisonMessageError — `unsupported_specversion`, `unknown_type` (including another
 *   major version, e.g. `.v2`), `unsupported_content_type`, `schema_mismatch` (dataschema names
 *   another message) or `malformed_payload` (bytes that are not the message).
 */
export function decodeEvent(event: EventEnvelope & { readonly specversion?: string }): DecodedEvent {
  if (event.specversion !== undefined && event.specversion !== SPEC_VERSION) {
    throw new PoisonMessageError(
      "unsupported_specversion",
      `CloudEvents specversion ${event.specversion} is not ${SPEC_VERSION}`,
    );
  }
  const definition = byType.get(event.type);
  if (definition === undefined) throw new PoisonMessageError("unknown_type", `unknown event type "${event.type}"`);
  if (event.datacontenttype !== PROTOBUF_CONTENT_TYPE) {
    throw new PoisonMessageError(
      "unsupported_content_type",
      `${event.type} must be ${PROTOBUF_CONTENT_TYPE}, got "${event.datacontenttype}"`,
    );
  }
  if (event.dataschema !== undefined && event.dataschema !== definition.dataschema) {
    throw new PoisonMessageError(
      "schema_mismatch",
      `${event.type} carries dataschema "${event.dataschema}", expected "${definition.dataschema}"`,
    );
  }
  try {
    return { definition, payload: fromBinary(definition.schema, event.data) };
  } catch (error) {
    throw new PoisonMessageError("malformed_payload", `${event.type} payload does not decode`, { cause: error });
  }
}
