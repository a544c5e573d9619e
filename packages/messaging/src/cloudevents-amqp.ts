import type { MessageProperties, Options } from "amqplib";
import { PoisonMessageError, SPEC_VERSION, type EventEnvelope } from "./envelope.ts";

/**
 * CloudEvents 1.0 in AMQP binary content mode, as Souk writes it on RabbitMQ (AMQP 0-9-1).
 *
 * Source: the CloudEvents AMQP protocol binding
 * (https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/amqp-protocol-binding.md §3.1):
 * every attribute but `datacontenttype` is an application property named `cloudEvents:<attribute>`
 * (AMQP 0-9-1: a message header), `datacontenttype` is the AMQP `content-type` property, and the
 * payload is the body. Values use the canonical string form the binding allows — `time` as an
 * RFC 3339 string, because an AMQP 0-9-1 timestamp only has whole seconds.
 *
 * For tools that only read standard properties, the same values are mirrored where AMQP has a
 * slot: `message-id` = id, `type` = type, `timestamp` = time (seconds). The W3C trace context
 * travels both as `cloudEvents:traceparent` (the binding's mapping of the distributed tracing
 * extension) and as plain `traceparent`/`tracestate` headers (what OpenTelemetry's AMQP
 * instrumentations read).
 */
export const CLOUDEVENTS_AMQP_PREFIX = "cloudEvents:";

/** Header names of Souk's job bookkeeping on RabbitMQ. */
export const JOB_HEADERS = {
  /** Attempt number of the next delivery (1 when absent): an integer. */
  attempt: "souk-attempt",
  /** Why a dead letter was dead-lettered (`PoisonMessageError.reason` or `max_attempts: …`). */
  deadLetterReason: "souk-dlq-reason",
  /** Attempts made before dead-lettering: an integer. */
  deadLetterAttempts: "souk-attempts",
  /** When it was dead-lettered: an RFC 3339 string. */
  deadLetterFailedAt: "souk-failed-at",
} as const;

const ce = (attribute: string): string => `${CLOUDEVENTS_AMQP_PREFIX}${attribute}`;

/** AMQP 0-9-1 short strings (message-id, type) hold at most 255 bytes. */
const SHORTSTR_MAX_BYTES = 255;

/** The AMQP body and publish properties of an event (without delivery options such as `persistent`). */
export interface AmqpEventMessage {
  readonly content: Buffer;
  readonly properties: Omit<Options.Publish, "headers"> & { headers: Record<string, unknown> };
}

/**
 * Encodes `event` in binary content mode (see `CLOUDEVENTS_AMQP_PREFIX`). The body is a copy of
 * `event.data`.
 */
export function envelopeToAmqp(event: EventEnvelope): AmqpEventMessage {
  const headers: Record<string, unknown> = {
    [ce("specversion")]: SPEC_VERSION,
    [ce("id")]: event.id,
    [ce("source")]: event.source,
    [ce("type")]: event.type,
    [ce("subject")]: event.subject,
    [ce("time")]: event.time.toISOString(),
  };
  if (event.dataschema !== undefined) headers[ce("dataschema")] = event.dataschema;
  if (event.traceparent !== undefined) {
    headers[ce("traceparent")] = event.traceparent;
    headers["traceparent"] = event.traceparent;
  }
  if (event.tracestate !== undefined) {
    headers[ce("tracestate")] = event.tracestate;
    headers["tracestate"] = event.tracestate;
  }
  const properties: AmqpEventMessage["properties"] = {
    contentType: event.datacontenttype,
    timestamp: Math.floor(event.time.getTime() / 1000),
    headers,
  };
  if (Buffer.byteLength(event.id) <= SHORTSTR_MAX_BYTES) properties.messageId = event.id;
  if (Buffer.byteLength(event.type) <= SHORTSTR_MAX_BYTES) properties.type = event.type;
  return { content: Buffer.from(event.data), properties };
}

/** What `envelopeFromAmqp` reads: an amqplib message (`ConsumeMessage`, `GetMessage`). */
export interface AmqpMessageLike {
  readonly content: Buffer;
  readonly properties: MessageProperties;
}

/**
 * Decodes a binary-mode CloudEvent from an AMQP message; `data` is a copy of the body.
 *
 * @throws PoisonMessageError — `missing_attribute` when `cloudEvents:specversion`, `id`,
 *   `source`, `type`, `subject`, `time` or the content-type is absent or empty,
 *   `unsupported_specversion` when specversion is not 1.0, `invalid_attribute` when `time` is not
 *   an RFC 3339 timestamp.
 */
export function envelopeFromAmqp(message: AmqpMessageLike): EventEnvelope {
  const headers = message.properties.headers ?? {};
  const required = (attribute: string): string => {
    const value = headerString(headers, ce(attribute));
    if (value === undefined || value === "") {
      throw new PoisonMessageError("missing_attribute", `the message has no CloudEvents attribute "${attribute}"`);
    }
    return value;
  };
  const specversion = required("specversion");
  if (specversion !== SPEC_VERSION) {
    throw new PoisonMessageError(
      "unsupported_specversion",
      `CloudEvents specversion ${specversion} is not ${SPEC_VERSION}`,
    );
  }
  const id = required("id");
  const source = required("source");
  const type = required("type");
  const subject = required("subject");
  const time = headerTime(headers[ce("time")]);
  if (time === undefined) {
    throw new PoisonMessageError("missing_attribute", `the message has no CloudEvents attribute "time"`);
  }
  if (Number.isNaN(time.getTime())) {
    throw new PoisonMessageError("invalid_attribute", `CloudEvents attribute "time" is not an RFC 3339 timestamp`);
  }
  const datacontenttype = stringOf(message.properties.contentType);
  if (datacontenttype === undefined || datacontenttype === "") {
    throw new PoisonMessageError("missing_attribute", `the message has no content-type (CloudEvents datacontenttype)`);
  }
  return {
    id,
    source,
    type,
    subject,
    time,
    datacontenttype,
    dataschema: headerString(headers, ce("dataschema")),
    data: new Uint8Array(message.content),
    traceparent: headerString(headers, "traceparent") ?? headerString(headers, ce("traceparent")),
    tracestate: headerString(headers, "tracestate") ?? headerString(headers, ce("tracestate")),
  };
}

/**
 * The attributes a message carries, whatever it lacks — for dead letters, which must be readable
 * even when they were dead-lettered for a missing attribute. A missing string attribute is `""`
 * and a missing or unreadable `time` is the epoch (1970-01-01T00:00:00Z).
 */
export function partialEnvelopeFromAmqp(message: AmqpMessageLike): EventEnvelope {
  const headers = message.properties.headers ?? {};
  const time = headerTime(headers[ce("time")]);
  return {
    id: headerString(headers, ce("id")) ?? stringOf(message.properties.messageId) ?? "",
    source: headerString(headers, ce("source")) ?? "",
    type: headerString(headers, ce("type")) ?? stringOf(message.properties.type) ?? "",
    subject: headerString(headers, ce("subject")) ?? "",
    time: time === undefined || Number.isNaN(time.getTime()) ? new Date(0) : time,
    datacontenttype: stringOf(message.properties.contentType) ?? "",
    dataschema: headerString(headers, ce("dataschema")),
    data: new Uint8Array(message.content),
    traceparent: headerString(headers, "traceparent") ?? headerString(headers, ce("traceparent")),
    tracestate: headerString(headers, "tracestate") ?? headerString(headers, ce("tracestate")),
  };
}

/** A header as a string: AMQP long strings arrive as strings, byte arrays as Buffers. */
export function headerString(headers: Record<string, unknown>, name: string): string | undefined {
  return stringOf(headers[name]);
}

/** A header as an integer, or undefined when absent or not an integer. */
export function headerInteger(headers: Record<string, unknown>, name: string): number | undefined {
  const value = headers[name];
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return undefined;
}

/**
 * `cloudEvents:time` in either form the binding allows: the canonical RFC 3339 string, or an AMQP
 * timestamp (0-9-1: seconds, which amqplib decodes as `{ "!": "timestamp", value }`).
 * Undefined when absent; an invalid Date when present but unreadable.
 */
function headerTime(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const text = stringOf(value);
  if (text === "") return undefined;
  if (text !== undefined) {
    // RFC 3339 requires the date, the time and an offset; Date.parse alone is more lenient.
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)
      ? new Date(text)
      : new Date(Number.NaN);
  }
  if (typeof value === "object" && "value" in value && typeof value.value === "number") {
    return new Date(value.value * 1000);
  }
  return new Date(Number.NaN);
}
