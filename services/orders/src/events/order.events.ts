import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EVENTS, newEvent, type OutboxMessage } from "@souk/messaging";
import type { Money } from "@souk/platform";
import type { Order, OrderStatus } from "../domain/order.ts";

/** CloudEvents `source` of orders' events. */
export const ORDERS_EVENT_SOURCE = "/souk/orders";

const money = (m: Money) => ({ amountMinor: BigInt(m.amountMinor), currency: m.currency });

const lines = (order: Order) =>
  order.lines.map((l) => ({
    productId: l.productId,
    sku: l.sku,
    name: l.name,
    quantity: l.quantity,
    unitPrice: money(l.unitPrice),
    lineTotal: money(l.lineTotal),
  }));

/** `souk.order.placed.v1` for a just-inserted PENDING order. */
export function orderPlacedEvent(order: Order): OutboxMessage {
  return newEvent(
    EVENTS.orderPlaced,
    {
      orderId: order.id,
      userId: order.userId,
      lines: lines(order),
      total: money(order.total),
      placedAt: timestampFromDate(order.createdAt),
    },
    { source: ORDERS_EVENT_SOURCE, subject: order.id, time: order.createdAt },
  );
}

/**
 * The event a status change publishes (through the outbox, in the transaction that saves it):
 * PENDING → CONFIRMED `souk.order.confirmed.v1`, → CANCELLED `souk.order.cancelled.v1`,
 * CONFIRMED → REFUNDED `souk.order.refunded.v1`; nothing when the status did not change.
 */
export function orderStatusEvent(before: OrderStatus, after: Order, at: Date): OutboxMessage | undefined {
  if (before === after.status) return undefined;
  const options = { source: ORDERS_EVENT_SOURCE, subject: after.id, time: at };
  const base = { orderId: after.id, userId: after.userId, total: money(after.total) };
  switch (after.status) {
    case "CONFIRMED":
      return newEvent(
        EVENTS.orderConfirmed,
        {
          ...base,
          lines: lines(after),
          placedAt: timestampFromDate(after.createdAt),
          confirmedAt: timestampFromDate(at),
        },
        options,
      );
    case "CANCELLED":
      return newEvent(
        EVENTS.orderCancelled,
        {
          ...base,
          reason: after.cancellationReason ?? "unknown",
          placedAt: timestampFromDate(after.createdAt),
          cancelledAt: timestampFromDate(at),
        },
        options,
      );
    case "REFUNDED":
      return newEvent(
        EVENTS.orderRefunded,
        { ...base, reason: after.cancellationReason ?? "customer_request", refundedAt: timestampFromDate(at) },
        options,
      );
    case "PENDING":
      return undefined;
  }
}
