import { describe, expect, it } from "vitest";
import { planDeliveries, replayRefusal, type DeadLetterRecord, type Delivery } from "./delivery.ts";
import type { NotificationEvent, NotificationEventType } from "./notification-event.ts";
import { endpointWants, validateWebhookEndpoint, type WebhookEndpoint } from "./webhook-endpoint.ts";

const endpoint = (id: string, eventTypes: string[], active = true): WebhookEndpoint => ({
  id,
  url: `http://127.0.0.1/${id}`,
  secret: "whsec_x",
  eventTypes,
  active,
  createdAt: new Date(0),
});

const event = (type: NotificationEventType): NotificationEvent => ({
  id: "evt-1",
  type,
  orderId: "o-1",
  userId: "u-1",
  occurredAt: new Date(0),
  data: {
    object: "order",
    orderId: "o-1",
    userId: "u-1",
    status: "placed",
    lines: [],
    total: { amount: 1, currency: "USD" },
    reason: null,
    placedAt: null,
    occurredAt: new Date(0).toISOString(),
  },
});

let n = 0;
const newId = () => `id-${++n}`;

describe("planDeliveries", () => {
  const endpoints = [
    endpoint("confirmed-only", ["order.confirmed"]),
    endpoint("all", ["*"]),
    endpoint("deleted", ["*"], false),
    endpoint("payments", ["payment.failed"]),
  ];

  it("emails order outcomes and webhooks every active subscribed endpoint", () => {
    const planned = planDeliveries(event("order.confirmed"), endpoints, newId);
    expect(planned.map((p) => [p.channel, p.endpointId])).toEqual([
      ["email", null],
      ["webhook", "confirmed-only"],
      ["webhook", "all"],
    ]);
    expect(new Set(planned.map((p) => p.id)).size).toBe(3);
  });

  it("does not email for order.placed or payment events", () => {
    expect(planDeliveries(event("order.placed"), endpoints, newId).map((p) => p.endpointId)).toEqual(["all"]);
    expect(planDeliveries(event("payment.failed"), endpoints, newId).map((p) => p.endpointId)).toEqual([
      "all",
      "payments",
    ]);
    expect(planDeliveries(event("order.cancelled"), [], newId).map((p) => p.channel)).toEqual(["email"]);
  });

  it("endpointWants ignores inactive endpoints", () => {
    expect(endpointWants(endpoint("x", ["*"], false), "order.confirmed")).toBe(false);
  });
});

describe("validateWebhookEndpoint", () => {
  it("normalises a good registration", () => {
    expect(
      validateWebhookEndpoint("HTTPS://Hooks.Example.com/souk", [
        "order.refunded",
        "order.confirmed",
        "order.confirmed",
      ]),
    ).toEqual({
      url: "https://hooks.example.com/souk",
      eventTypes: ["order.confirmed", "order.refunded"],
    });
    expect(validateWebhookEndpoint("http://127.0.0.1:9000/hook", ["order.placed", "*"]).eventTypes).toEqual(["*"]);
  });

  it("names every bad field", () => {
    const fieldsOf = (url: string, types: string[]) => {
      try {
        validateWebhookEndpoint(url, types);
        return [];
      } catch (error) {
        expect(error).toMatchObject({ kind: "invalid_argument", code: "NOTIFICATIONS_INVALID_WEBHOOK_ENDPOINT" });
        return (error as { fields: { field: string; message: string }[] }).fields.map((f) => f.field);
      }
    };
    expect(fieldsOf("file:///etc/passwd", ["order.confirmed"])).toEqual(["url"]);
    expect(fieldsOf("javascript:alert(1)", ["order.confirmed"])).toEqual(["url"]);
    expect(fieldsOf("not a url", [])).toEqual(["url", "event_types"]);
    expect(fieldsOf("https://user:pw@example.com/", ["order.shipped"])).toEqual(["url", "event_types[0]"]);
    expect(fieldsOf("https://example.com/#frag", ["order.confirmed"])).toEqual(["url"]);
    expect(fieldsOf(`https://example.com/${"a".repeat(2100)}`, ["*"])).toEqual(["url"]);
  });
});

describe("replayRefusal", () => {
  const dead: DeadLetterRecord = {
    id: "dl-1",
    jobId: "job-1",
    deliveryId: "d-1",
    queue: "notifications.webhook",
    reason: "max_attempts: endpoint answered 500",
    attempts: 8,
    failedAt: new Date(0),
    replayedAt: null,
  };
  const delivery = (status: Delivery["status"]): Delivery => ({
    id: "d-1",
    eventId: "evt-1",
    eventType: "order.confirmed",
    orderId: "o-1",
    channel: "webhook",
    endpointId: "e-1",
    status,
    attempts: 8,
    lastError: null,
    createdAt: new Date(0),
    sentAt: null,
  });

  it("allows a dead letter of a dead delivery, once", () => {
    expect(replayRefusal(dead, delivery("dead"))).toBeUndefined();
    expect(replayRefusal({ ...dead, replayedAt: new Date(1) }, delivery("dead"))).toMatchObject({
      kind: "failed_precondition",
      code: "NOTIFICATIONS_DEAD_LETTER_REPLAYED",
    });
  });

  it("refuses a sent delivery and a letter without a delivery", () => {
    expect(replayRefusal(dead, delivery("sent"))).toMatchObject({ code: "NOTIFICATIONS_DELIVERY_SENT" });
    expect(replayRefusal({ ...dead, deliveryId: null }, undefined)).toMatchObject({
      code: "NOTIFICATIONS_DEAD_LETTER_NOT_REPLAYABLE",
    });
  });
});
