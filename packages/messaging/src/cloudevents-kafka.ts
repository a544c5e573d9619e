import { PoisonMessageError, SPEC_VERSION, type EventEnvelope } from "./envelope.ts";
import type { ReceivedEvent } from "./event-log.ts";
import type { DeadLetterInfo, DeadLetteredEvent } from "./event-log-common.ts";

/**
 * Kafka header names of the CloudEvents Kafka protocol binding, binary content mode
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 * §3.2): each context attribute is a `ce_<name>` header whose value is the attribute's UTF-8
 * string form; `datacontenttype` travels as `content-type`; the record value is the event data.
 * The W3C trace context travels as the plain `traceparent`/`tracestate` headers (W3C Trace
 * Context, the CloudEvents distributed-tracing extension's carrier), which OpenTelemetry's Kafka
 * instrumentations read.
 */
export const CE_KAFKA_HEADERS = {
  specversion: "ce_specversion",
  id: "ce_id",
  source: "ce_source",
  type: "ce_type",
  subject: "ce_subject",
  time: "ce_time",
  dataschema: "ce_dataschema",
  contentType: "content-type",
  traceparent: "traceparent",
  tracestate: "tracestate",
} as const;

/**
 * Headers Souk adds to a record it dead-letters to `<topic>.dlq` (next to the original headers,
 * which are kept byte for byte): why (`PoisonMessageError.reason`), which group refused it, the
 * error message, and where the record was read from.
 */
export const DLQ_KAFKA_HEADERS = {
  reason: "souk_dlq_reason",
  group: "souk_dlq_group",
  error: "souk_dlq_error",
  topic: "souk_dlq_topic",
  partition: "souk_dlq_partition",
  offset: "souk_dlq_offset",
} as const;

/** A Kafka record as any client hands it over: raw key, value and header bytes, where it was read. */
export interface KafkaRecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** Record timestamp in ms since the epoch (CreateTime), used when `ce_time` is absent. */
  readonly timestamp: bigint;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
  /** Header entries in record order (a key may repeat; the first occurrence wins). */
  readonly headers: Iterable<readonly [Buffer | string | null | undefined, Buffer | string | null | undefined]>;
}

const toText = (value: Buffer | string | null | undefined): string | undefined =>
  value === null || value === undefined ? undefined : typeof value === "string" ? value : value.toString("utf8");

/** The record's headers as strings (UTF-8), first occurrence of each name. */
export function headerStrings(record: Pick<KafkaRecordView, "headers">): Map<string, string> {
  const strings = new Map<string, string>();
  for (const [key, value] of record.headers) {
    const name = toText(key);
    const text = toText(value);
    if (name !== undefined && text !== undefined && !strings.has(name)) strings.set(name, text);
  }
  return strings;
}

/**
 * The Kafka headers of `event` in CloudEvents binary mode (see CE_KAFKA_HEADERS): `ce_specversion`
 * (1.0), `ce_id`, `ce_source`, `ce_type`, `ce_subject`, `ce_time` (RFC 3339, UTC, ms precision),
 * `ce_dataschema` when set, `content-type`, and `traceparent`/`tracestate` when set — the
 * envelope's own trace context, never the publisher's.
 */
export function encodeCloudEventHeaders(event: EventEnvelope): Map<Buffer, Buffer> {
  const headers: [string, string | undefined][] = [
    [CE_KAFKA_HEADERS.specversion, SPEC_VERSION],
    [CE_KAFKA_HEADERS.id, event.id],
    [CE_KAFKA_HEADERS.source, event.source],
    [CE_KAFKA_HEADERS.type, event.type],
    [CE_KAFKA_HEADERS.subject, event.subject],
    [CE_KAFKA_HEADERS.time, event.time.toISOString()],
    [CE_KAFKA_HEADERS.dataschema, event.dataschema],
    [CE_KAFKA_HEADERS.contentType, event.datacontenttype],
    [CE_KAFKA_HEADERS.traceparent, event.traceparent],
    [CE_KAFKA_HEADERS.tracestate, event.tracestate],
  ];
  const encoded = new Map<Buffer, Buffer>();
  for (const [name, value] of headers) {
    if (value !== undefined && value !== "") encoded.set(Buffer.from(name), Buffer.from(value, "utf8"));
  }
  return encoded;
}

/**
 * Reads a CloudEvent (binary mode) from a Kafka record: the attributes from the `ce_*` headers,
 * `datacontenttype` from `content-type` (empty when absent), the data from the value (copied).
 * `subject` falls back to the record key and `time` to the record timestamp when their headers
 * are absent (both are optional in CloudEvents; Souk always sends them).
 *
 * @throws PoisonMessageError — `missing_attribute` (no `ce_id`, `ce_source`, `ce_type`,
 *   `ce_specversion`, or no subject at all), `unsupported_specversion` (not 1.0),
 *   `invalid_attribute` (`ce_time` that is not a timestamp), `missing_data` (a null value).
 */
export function decodeCloudEventRecord(record: KafkaRecordView): ReceivedEvent {
  const headers = headerStrings(record);
  const required = (name: string): string => {
    const value = headers.get(name);
    if (value === undefined || value === "") {
      throw new PoisonMessageError("missing_attribute", `record has no ${name} header (CloudEvents binary mode)`);
    }
    return value;
  };
  const specversion = required(CE_KAFKA_HEADERS.specversion);
  if (specversion !== SPEC_VERSION) {
    throw new PoisonMessageError(
      "unsupported_specversion",
      `CloudEvents specversion ${specversion} is not ${SPEC_VERSION}`,
    );
  }
  const id = required(CE_KAFKA_HEADERS.id);
  const source = required(CE_KAFKA_HEADERS.source);
  const type = required(CE_KAFKA_HEADERS.type);
  const subject = headers.get(CE_KAFKA_HEADERS.subject) ?? toText(record.key);
  if (subject === undefined || subject === "") {
    throw new PoisonMessageError(
      "missing_attribute",
      `record has neither a ${CE_KAFKA_HEADERS.subject} header nor a key`,
    );
  }
  const timeHeader = headers.get(CE_KAFKA_HEADERS.time);
  const time = timeHeader === undefined ? new Date(Number(record.timestamp)) : new Date(timeHeader);
  if (Number.isNaN(time.getTime())) {
    throw new PoisonMessageError(
      "invalid_attribute",
      `${CE_KAFKA_HEADERS.time} "${timeHeader}" is not an RFC 3339 time`,
    );
  }
  if (record.value === null || record.value === undefined) {
    throw new PoisonMessageError("missing_data", "record has no value (event data)");
  }
  return {
    id,
    source,
    type,
    subject,
    time,
    datacontenttype: headers.get(CE_KAFKA_HEADERS.contentType) ?? "",
    dataschema: headers.get(CE_KAFKA_HEADERS.dataschema),
    data: new Uint8Array(record.value),
    traceparent: headers.get(CE_KAFKA_HEADERS.traceparent),
    tracestate: headers.get(CE_KAFKA_HEADERS.tracestate),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
  };
}

/**
 * The headers of a dead-lettered record: the original entries unchanged (so the CloudEvent stays
 * readable) followed by the `souk_dlq_*` headers of `info` (see DLQ_KAFKA_HEADERS).
 */
export function encodeDeadLetterHeaders(
  original: KafkaRecordView["headers"],
  info: DeadLetterInfo,
): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  const asBuffer = (value: Buffer | string | null | undefined) =>
    value === null || value === undefined ? Buffer.alloc(0) : typeof value === "string" ? Buffer.from(value) : value;
  const souk = new Set<string>(Object.values(DLQ_KAFKA_HEADERS));
  for (const [key, value] of original) {
    // A record dead-lettered twice keeps only its latest reason.
    if (souk.has(toText(key) ?? "")) continue;
    headers.set(asBuffer(key), asBuffer(value));
  }
  const extra: [string, string][] = [
    [DLQ_KAFKA_HEADERS.reason, info.reason],
    [DLQ_KAFKA_HEADERS.group, info.group],
    [DLQ_KAFKA_HEADERS.error, info.error],
    [DLQ_KAFKA_HEADERS.topic, info.topic],
    [DLQ_KAFKA_HEADERS.partition, String(info.partition)],
    [DLQ_KAFKA_HEADERS.offset, info.offset],
  ];
  for (const [name, value] of extra) headers.set(Buffer.from(name), Buffer.from(value, "utf8"));
  return headers;
}

/**
 * Reads a record of a `<topic>.dlq`: the dead-letter info from the `souk_dlq_*` headers and the
 * original event as far as its headers allow (a record dead-lettered for `missing_attribute`
 * yields empty strings for what it lacks). Never throws on a malformed original.
 */
export function decodeDeadLetterRecord(record: KafkaRecordView): DeadLetteredEvent {
  const headers = headerStrings(record);
  const text = (name: string) => headers.get(name) ?? "";
  const time = new Date(headers.get(CE_KAFKA_HEADERS.time) ?? Number(record.timestamp));
  return {
    event: {
      id: text(CE_KAFKA_HEADERS.id),
      source: text(CE_KAFKA_HEADERS.source),
      type: text(CE_KAFKA_HEADERS.type),
      subject: headers.get(CE_KAFKA_HEADERS.subject) ?? toText(record.key) ?? "",
      time: Number.isNaN(time.getTime()) ? new Date(Number(record.timestamp)) : time,
      datacontenttype: text(CE_KAFKA_HEADERS.contentType),
      dataschema: headers.get(CE_KAFKA_HEADERS.dataschema),
      data: new Uint8Array(record.value ?? Buffer.alloc(0)),
      traceparent: headers.get(CE_KAFKA_HEADERS.traceparent),
      tracestate: headers.get(CE_KAFKA_HEADERS.tracestate),
    },
    deadLetter: {
      reason: text(DLQ_KAFKA_HEADERS.reason),
      group: text(DLQ_KAFKA_HEADERS.group),
      error: text(DLQ_KAFKA_HEADERS.error),
      topic: text(DLQ_KAFKA_HEADERS.topic),
      partition: Number(headers.get(DLQ_KAFKA_HEADERS.partition) ?? -1),
      offset: text(DLQ_KAFKA_HEADERS.offset),
    },
  };
}
