import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  decodeEvent,
  EVENTS,
  isEvent,
  PoisonMessageError,
  type DecodedEvent,
  type EventEnvelope,
} from "@souk/messaging";
import type { OrderLine } from "@souk/contracts/events/orders";
import { moneyFromProto, type MoneyMessage } from "@souk/platform";
import type {
  MoneyData,
  NotificationEvent,
  NotificationEventData,
  NotificationEventType,
  OrderEventData,
  PaymentEventData,
} from "../domain/notification-event.ts";

function money(message: MoneyMessage | undefined, field: string): MoneyData {
  try {
    const { amountMinor, currency } = moneyFromProto(message);
    return { amount: amountMinor, currency };
  } catch (error) {
    throw new PoisonMessageError("malformed_payload", `${field} is missing or out of range`, { cause: error });
  }
}

const iso = (timestamp: Timestamp | undefined): string | null =>
  timestamp === undefined ? null : timestampDate(timestamp).toISOString();

const lines = (items: readonly OrderLine[]) =>
  items.map((line, i) => ({
    productId: line.productId,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: money(line.unitPrice, `lines[${i}].unit_price`),
    lineTotal: money(line.lineTotal, `lines[${i}].line_total`),
  }));

const PAYMENT_TYPES = [
  [EVENTS.paymentAuthorized, "authorized"],
  [EVENTS.paymentCaptured, "captured"],
  [EVENTS.paymentVoided, "voided"],
  [EVENTS.paymentRefunded, "refunded"],
  [EVENTS.paymentFailed, "failed"],
] as const;

/** The public type and data of a decoded catalogue event, or undefined for a type notifications ignores. */
function describe(
  decoded: DecodedEvent,
  occurredAt: string,
): { type: NotificationEventType; data: NotificationEventData } | undefined {
  const order = (
    status: OrderEventData["status"],
    p: { orderId: string; userId: string; total?: MoneyMessage | undefined; placedAt?: Timestamp | undefined },
    extra: { lines?: readonly OrderLine[]; reason?: string },
  ) => ({
    type: `order.${status}` as const,
    data: {
      object: "order" as const,
      orderId: p.orderId,
      userId: p.userId,
      status,
      lines: lines(extra.lines ?? []),
      total: money(p.total, "total"),
      reason: extra.reason === undefined || extra.reason === "" ? null : extra.reason,
      placedAt: iso(p.placedAt),
      occurredAt,
    },
  });
  if (isEvent(decoded, EVENTS.orderPlaced)) return order("placed", decoded.payload, { lines: decoded.payload.lines });
  if (isEvent(decoded, EVENTS.orderConfirmed)) {
    return order("confirmed", decoded.payload, { lines: decoded.payload.lines });
  }
  if (isEvent(decoded, EVENTS.orderCancelled)) {
    return order("cancelled", decoded.payload, { reason: decoded.payload.reason });
  }
  if (isEvent(decoded, EVENTS.orderRefunded)) {
    return order("refunded", { ...decoded.payload, placedAt: undefined }, { reason: decoded.payload.reason });
  }
  for (const [definition, status] of PAYMENT_TYPES) {
    if (!isEvent(decoded, definition)) continue;
    const p = decoded.payload;
    const data: PaymentEventData = {
      object: "payment",
      paymentId: p.paymentId,
      orderId: p.orderId,
      userId: p.userId,
      status,
      amount: money(p.amount, "amount"),
      failureCode: p.failureCode === "" ? null : p.failureCode,
      occurredAt,
    };
    return { type: `payment.${status}`, data };
  }
  return undefined;
}

/**
 * Turns a consumed CloudEvent of `souk.orders.v1` or `souk.payments.v1` into the notification
 * event it means (public type `order.confirmed`, `payment.failed`, …; JSON-ready data), or
 * undefined for a well-formed event notifications has no use for (e.g. `souk.user.registered.v1`).
 *
 * @throws PoisonMessageError from `decodeEvent` (unknown type, wrong content type or schema, bytes
 *   that do not decode), or `malformed_payload` when the order id, user id or an amount is missing.
 */
export function toNotificationEvent(envelope: EventEnvelope): NotificationEvent | undefined {
  const decoded = decodeEvent(envelope);
  const described = describe(decoded, envelope.time.toISOString());
  if (described === undefined) return undefined;
  const { orderId, userId } = described.data;
  if (orderId === "" || userId === "") {
    throw new PoisonMessageError("malformed_payload", `${envelope.type} names no order or no user`);
  }
  return { id: envelope.id, type: described.type, orderId, userId, occurredAt: envelope.time, data: described.data };
}
