/**
 * A CloudEvents 1.0 event (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
 * as Souk moves it: the context attributes, a binary (Protobuf) payload and the W3C trace
 * context extension (`traceparent`, `tracestate`). Adapters carry it in binary content mode:
 * attributes as Kafka headers (`ce_id`, `ce_type`, …; `content-type` for datacontenttype, per the
 * CloudEvents Kafka binding) or AMQP message properties and headers, the payload as the body.
 */
export interface EventEnvelope {
  /** Unique per event (a UUIDv7); consumers deduplicate on it (inbox). */
  readonly id: string;
  /** URI-reference of the producer, e.g. `/souk/orders`. */
  readonly source: string;
  /** Reverse-DNS event type with the payload's major version, e.g. `souk.order.confirmed.v1`. */
  readonly type: string;
  /** The aggregate the event is about (e.g. an order id); also the partition/ordering key. */
  readonly subject: string;
  /** When the state change happened. */
  readonly time: Date;
  /** Media type of `data`, `application/protobuf` for Souk's events. */
  readonly datacontenttype: string;
  /** Identifies the payload schema, e.g. `proto:souk.events.v1.OrderConfirmed`. */
  readonly dataschema?: string | undefined;
  /** The payload bytes. */
  readonly data: Uint8Array;
  /** W3C `traceparent` of the operation that caused the event (distributed tracing extension). */
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/**
 * A copy of `event` holding only the envelope's own attributes (a caller may pass a richer
 * object) with its own `time` and `data`, so a producer and the in-process consumers never share
 * mutable state. A malformed event's odd `time` or `data` (tests feed those) is kept as it is.
 */
export function copyEnvelope(event: EventEnvelope): EventEnvelope {
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time instanceof Date ? new Date(event.time.getTime()) : event.time,
    datacontenttype: event.datacontenttype,
    dataschema: event.dataschema,
    data: event.data instanceof Uint8Array ? event.data.slice() : event.data,
    traceparent: event.traceparent,
    tracestate: event.tracestate,
  };
}

/** The CloudEvents spec version Souk produces and accepts. */
export const SPEC_VERSION = "1.0";

/** Souk's payload media type. */
export const PROTOBUF_CONTENT_TYPE = "application/protobuf";

/**
 * Thrown (by an adapter while reading a message, or by a consumer's handler) when a message can
 * never be processed — missing CloudEvents attributes, an unknown `type`, a payload that does not
 * decode, a wrong schema version. Adapters dead-letter it with `reason` at once, without retries,
 * and go on with the next message; any other error is treated as transient and retried.
 */
export class PoisonMessageError extends Error {
  override readonly name = "PoisonMessageError";
  /** Short machine-readable reason, e.g. `unknown_type`, `malformed_payload`, `missing_attribute`. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * Checks that an in-memory envelope has every attribute Souk requires (what the RabbitMQ
 * adapter's `envelopeFromAmqp` checks on the wire), so the in-process job queue treats a malformed event like RabbitMQ does.
 *
 * @throws PoisonMessageError — `missing_attribute` (an empty or absent id, source, type, subject,
 *   datacontenttype, time or data) or `invalid_attribute` (an invalid `time`).
 */
export function checkEnvelope(event: EventEnvelope): void {
  // The type says these are present; a caller in plain JavaScript or a cast can still omit them.
  const loose = event as Partial<Record<keyof EventEnvelope, unknown>>;
  for (const attribute of ["id", "source", "type", "subject", "datacontenttype"] as const) {
    const value = loose[attribute];
    if (typeof value !== "string" || value === "") {
      throw new PoisonMessageError("missing_attribute", `the event has no CloudEvents attribute "${attribute}"`);
    }
  }
  if (!(loose.time instanceof Date)) {
    throw new PoisonMessageError("missing_attribute", `the event has no CloudEvents attribute "time"`);
  }
  if (Number.isNaN(loose.time.getTime())) {
    throw new PoisonMessageError("invalid_attribute", `CloudEvents attribute "time" is not a valid date`);
  }
  if (!(loose.data instanceof Uint8Array)) {
    throw new PoisonMessageError("missing_attribute", "the event has no data");
  }
}

/** A running consumer; `close()` stops taking messages, waits for those in flight and leaves the group. */
export interface Subscription {
  close(): Promise<void>;
}

/**
 * Exponential backoff between attempts: `min(maxMs, baseMs · 2^(attempt-1))` ms (adapters may
 * add full jitter — AWS Architecture Blog, "Exponential Backoff And Jitter", 2015 — where delays
 * are timers rather than fixed-TTL queues).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}
