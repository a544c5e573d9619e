import { describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EVENTS, newEvent, PoisonMessageError } from "@souk/messaging";
import { toNotificationEvent } from "./notification-events.ts";

const time = new Date("2026-01-01T10:00:05.000Z");
const usd = (amountMinor: number) => ({ amountMinor: BigInt(amountMinor), currency: "USD" });
const options = { source: "/souk/orders", subject: "order-1", time };

describe("toNotificationEvent", () => {
  it("maps OrderConfirmed to order.confirmed with JSON-ready data", () => {
    const { event } = newEvent(
      EVENTS.orderConfirmed,
      {
        orderId: "order-1",
        userId: "user-1",
        lines: [
          { productId: "p1", sku: "MUG-1", name: "Mug", quantity: 2, unitPrice: usd(1250), lineTotal: usd(2500) },
        ],
        total: usd(2500),
        placedAt: timestampFromDate(new Date("2026-01-01T10:00:00.000Z")),
        confirmedAt: timestampFromDate(time),
      },
      options,
    );
    expect(toNotificationEvent(event)).toEqual({
      id: event.id,
      type: "order.confirmed",
      orderId: "order-1",
      userId: "user-1",
      occurredAt: time,
      data: {
        object: "order",
        orderId: "order-1",
        userId: "user-1",
        status: "confirmed",
        lines: [
          {
            productId: "p1",
            sku: "MUG-1",
            name: "Mug",
            quantity: 2,
            unitPrice: { amount: 1250, currency: "USD" },
            lineTotal: { amount: 2500, currency: "USD" },
          },
        ],
        total: { amount: 2500, currency: "USD" },
        reason: null,
        placedAt: "2026-01-01T10:00:00.000Z",
        occurredAt: "2026-01-01T10:00:05.000Z",
      },
    });
  });

  it("maps cancellations with their reason and payment events with their status", () => {
    const cancelled = newEvent(
      EVENTS.orderCancelled,
      { orderId: "order-1", userId: "user-1", reason: "card_declined", total: usd(100) },
      options,
    );
    expect(toNotificationEvent(cancelled.event)?.data).toMatchObject({ status: "cancelled", reason: "card_declined" });
    const failed = newEvent(
      EVENTS.paymentFailed,
      { paymentId: "pay-1", orderId: "order-1", userId: "user-1", amount: usd(100), failureCode: "card_declined" },
      { ...options, source: "/souk/payments" },
    );
    expect(toNotificationEvent(failed.event)).toMatchObject({
      type: "payment.failed",
      data: { object: "payment", status: "failed", failureCode: "card_declined", amount: { amount: 100 } },
    });
  });

  it("ignores events it has no use for", () => {
    const registered = newEvent(
      EVENTS.userRegistered,
      { userId: "user-1", email: "a@example.com", name: "A" },
      { ...options, subject: "user-1" },
    );
    expect(toNotificationEvent(registered.event)).toBeUndefined();
  });

  it("is poison for bytes that do not decode, an unknown type, or a missing total", () => {
    const { event } = newEvent(EVENTS.orderConfirmed, { orderId: "order-1", userId: "user-1", total: usd(1) }, options);
    const reasonOf = (f: () => unknown) => {
      try {
        f();
        return "accepted";
      } catch (error) {
        expect(error).toBeInstanceOf(PoisonMessageError);
        return (error as PoisonMessageError).reason;
      }
    };
    expect(reasonOf(() => toNotificationEvent({ ...event, data: new Uint8Array([0xff, 0xff, 0xff]) }))).toBe(
      "malformed_payload",
    );
    expect(reasonOf(() => toNotificationEvent({ ...event, type: "souk.order.confirmed.v2" }))).toBe("unknown_type");
    const noTotal = newEvent(EVENTS.orderConfirmed, { orderId: "order-1", userId: "user-1" }, options);
    expect(reasonOf(() => toNotificationEvent(noTotal.event))).toBe("malformed_payload");
    const noUser = newEvent(EVENTS.orderConfirmed, { orderId: "order-1", total: usd(1) }, options);
    expect(reasonOf(() => toNotificationEvent(noUser.event))).toBe("malformed_payload");
  });
});
