import { describe, expect, it } from "vitest";
import type { MessageProperties } from "amqplib";
import { envelopeFromAmqp, envelopeToAmqp, partialEnvelopeFromAmqp, type AmqpMessageLike } from "./cloudevents-amqp.ts";
import { checkEnvelope, PoisonMessageError, type EventEnvelope } from "./envelope.ts";

const event: EventEnvelope = {
  id: "0190f3a2-7b1c-7d3e-8f00-000000000001",
  source: "/souk/orders",
  type: "souk.order.confirmed.v1",
  subject: "order-42",
  time: new Date("2026-03-01T12:34:56.789Z"),
  datacontenttype: "application/protobuf",
  dataschema: "proto:souk.events.v1.OrderConfirmed",
  data: new Uint8Array([10, 8, 111, 114, 100, 101, 114, 45, 52, 50]),
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "souk=1",
};

/** An AMQP message as amqplib delivers it: every property present, undefined when not sent. */
function delivered(content: Buffer, properties: Partial<MessageProperties>): AmqpMessageLike {
  const none: MessageProperties = {
    contentType: undefined,
    contentEncoding: undefined,
    headers: undefined,
    deliveryMode: undefined,
    priority: undefined,
    correlationId: undefined,
    replyTo: undefined,
    expiration: undefined,
    messageId: undefined,
    timestamp: undefined,
    type: undefined,
    userId: undefined,
    appId: undefined,
    clusterId: undefined,
  };
  return { content, properties: { ...none, ...properties } };
}

function poisonReason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof PoisonMessageError) return error.reason;
    throw error;
  }
  throw new Error("expected a PoisonMessageError");
}

describe("CloudEvents in AMQP binary mode", () => {
  it("writes the attributes as cloudEvents:* headers, datacontenttype as content-type, and mirrors id, type and time", () => {
    const { content, properties } = envelopeToAmqp(event);
    expect(properties.headers).toEqual({
      "cloudEvents:specversion": "1.0",
      "cloudEvents:id": event.id,
      "cloudEvents:source": "/souk/orders",
      "cloudEvents:type": "souk.order.confirmed.v1",
      "cloudEvents:subject": "order-42",
      "cloudEvents:time": "2026-03-01T12:34:56.789Z",
      "cloudEvents:dataschema": "proto:souk.events.v1.OrderConfirmed",
      "cloudEvents:traceparent": event.traceparent,
      "cloudEvents:tracestate": "souk=1",
      traceparent: event.traceparent,
      tracestate: "souk=1",
    });
    expect(properties).toMatchObject({
      contentType: "application/protobuf",
      messageId: event.id,
      type: "souk.order.confirmed.v1",
      timestamp: Math.floor(event.time.getTime() / 1000),
    });
    expect([...content]).toEqual([...event.data]);
  });

  it("reads back what it writes", () => {
    const { content, properties } = envelopeToAmqp(event);
    const read = envelopeFromAmqp(delivered(content, properties));
    expect({ ...read, data: [...read.data] }).toEqual({ ...event, data: [...event.data] });
    expect(read.data).toBeInstanceOf(Uint8Array);
  });

  it("copies the body: a later change to the message buffer does not reach the envelope", () => {
    const { content, properties } = envelopeToAmqp(event);
    const read = envelopeFromAmqp(delivered(content, properties));
    content.fill(0);
    expect([...read.data]).toEqual([...event.data]);
  });

  it("accepts the trace context under the binding's name alone, and time as an AMQP timestamp", () => {
    const { content, properties } = envelopeToAmqp(event);
    const headers = { ...properties.headers };
    delete headers["traceparent"];
    delete headers["tracestate"];
    headers["cloudEvents:time"] = { "!": "timestamp", value: 1_772_368_496 };
    const read = envelopeFromAmqp(delivered(content, { ...properties, headers }));
    expect(read.traceparent).toBe(event.traceparent);
    expect(read.tracestate).toBe("souk=1");
    expect(read.time.toISOString()).toBe("2026-03-01T12:34:56.000Z");
  });

  it.each(["specversion", "id", "source", "type", "subject", "time"])(
    "refuses a message without cloudEvents:%s as missing_attribute",
    (attribute) => {
      const { content, properties } = envelopeToAmqp(event);
      const headers = { ...properties.headers };
      delete headers[`cloudEvents:${attribute}`];
      expect(poisonReason(() => envelopeFromAmqp(delivered(content, { ...properties, headers })))).toBe(
        "missing_attribute",
      );
    },
  );

  it("refuses a message without content-type, or without any header, as missing_attribute", () => {
    const { content, properties } = envelopeToAmqp(event);
    expect(poisonReason(() => envelopeFromAmqp(delivered(content, { headers: properties.headers })))).toBe(
      "missing_attribute",
    );
    expect(poisonReason(() => envelopeFromAmqp(delivered(Buffer.from("raw"), {})))).toBe("missing_attribute");
  });

  it("refuses another specversion and an unreadable time", () => {
    const { content, properties } = envelopeToAmqp(event);
    const with_ = (name: string, value: unknown) =>
      delivered(content, { ...properties, headers: { ...properties.headers, [name]: value } });
    expect(poisonReason(() => envelopeFromAmqp(with_("cloudEvents:specversion", "0.3")))).toBe(
      "unsupported_specversion",
    );
    expect(poisonReason(() => envelopeFromAmqp(with_("cloudEvents:time", "yesterday")))).toBe("invalid_attribute");
    expect(poisonReason(() => envelopeFromAmqp(with_("cloudEvents:time", "2026-03-01 12:00")))).toBe(
      "invalid_attribute",
    );
  });

  it("reads whatever a malformed message has, for its dead letter", () => {
    const partial = partialEnvelopeFromAmqp(
      delivered(Buffer.from([1, 2]), { messageId: "m-1", headers: { "cloudEvents:subject": "s" } }),
    );
    expect(partial).toMatchObject({ id: "m-1", source: "", type: "", subject: "s", datacontenttype: "" });
    expect(partial.time.getTime()).toBe(0);
    expect([...partial.data]).toEqual([1, 2]);
  });
});

describe("checkEnvelope (the in-process twin of the wire checks)", () => {
  it("accepts a complete envelope", () => {
    expect(() => checkEnvelope(event)).not.toThrow();
  });

  it.each(["id", "source", "type", "subject", "datacontenttype", "time", "data"] as const)(
    "refuses an envelope without %s as missing_attribute",
    (attribute) => {
      // A computed key widens the type: what a cast or plain JavaScript can hand over.
      const broken: EventEnvelope = { ...event, [attribute]: undefined };
      expect(poisonReason(() => checkEnvelope(broken))).toBe("missing_attribute");
    },
  );

  it("refuses an invalid date as invalid_attribute", () => {
    expect(poisonReason(() => checkEnvelope({ ...event, time: new Date(Number.NaN) }))).toBe("invalid_attribute");
  });
});
