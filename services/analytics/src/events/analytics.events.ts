import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { OrderLine } from "@souk/contracts/events/orders";
import {
  decodeEvent,
  EVENTS,
  isEvent,
  PoisonMessageError,
  type DecodedEvent,
  type EventEnvelope,
} from "@souk/messaging";
import { moneyFromProto, type Money, type MoneyMessage } from "@souk/platform";
import type { SoldLine } from "../domain/order-fact.ts";
import type { PaymentKind } from "../domain/payment-fact.ts";
import type { IncomingEvent } from "../usecases/record-event.usecase.ts";

/** The payload of an event analytics aggregates, as the record-event use case takes it. */
export type AnalyticsEventBody = IncomingEvent["body"];

const PAYMENT_KIND_OF_TYPE = new Map<string, PaymentKind>([
  [EVENTS.paymentAuthorized.type, "authorized"],
  [EVENTS.paymentCaptured.type, "captured"],
  [EVENTS.paymentVoided.type, "voided"],
  [EVENTS.paymentRefunded.type, "refunded"],
  [EVENTS.paymentFailed.type, "failed"],
]);

function invalid(type: string, message: string, cause?: unknown): PoisonMessageError {
  return new PoisonMessageError("invalid_payload", `${type}: ${message}`, { cause });
}

function required(type: string, field: string, value: string): string {
  if (value === "") throw invalid(type, `${field} is empty`);
  return value;
}

function money(type: string, field: string, value: MoneyMessage | undefined): Money {
  try {
    const m = moneyFromProto(value);
    if (!/^[A-Z]{3}$/.test(m.currency)) throw new RangeError(`currency "${m.currency}" is not ISO 4217`);
    return m;
  } catch (error) {
    throw invalid(type, `${field} is missing or out of range`, error);
  }
}

/** A payload timestamp, or the event's own time when the producer left it out. */
function instant(value: Timestamp | undefined, fallback: Date): Date {
  return value === undefined ? fallback : timestampDate(value);
}

function soldLines(type: string, lines: readonly OrderLine[]): SoldLine[] {
  return lines.map((line, i) => {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      throw invalid(type, `lines[${i}].quantity must be positive`);
    }
    return {
      productId: required(type, `lines[${i}].product_id`, line.productId),
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      lineTotalMinor: money(type, `lines[${i}].line_total`, line.lineTotal).amountMinor,
    };
  });
}

type PaymentChangedSchema = typeof EVENTS.paymentAuthorized.schema;

/** Every payment type shares the PaymentChanged payload; the CloudEvents type names the state. */
function isPaymentChange(decoded: DecodedEvent): decoded is DecodedEvent<PaymentChangedSchema> {
  return decoded.definition.schema === EVENTS.paymentAuthorized.schema;
}

/** Maps a decoded catalogue event to what analytics records; undefined for types it does not aggregate. */
function bodyOf(decoded: DecodedEvent, time: Date): AnalyticsEventBody | undefined {
  const type = decoded.definition.type;
  if (isEvent(decoded, EVENTS.orderPlaced)) {
    const p = decoded.payload;
    return {
      kind: "order",
      order: {
        kind: "placed",
        orderId: required(type, "order_id", p.orderId),
        userId: p.userId,
        total: money(type, "total", p.total),
        lines: soldLines(type, p.lines),
        placedAt: instant(p.placedAt, time),
      },
    };
  }
  if (isEvent(decoded, EVENTS.orderConfirmed)) {
    const p = decoded.payload;
    return {
      kind: "order",
      order: {
        kind: "confirmed",
        orderId: required(type, "order_id", p.orderId),
        userId: p.userId,
        total: money(type, "total", p.total),
        lines: soldLines(type, p.lines),
        placedAt: instant(p.placedAt, time),
        confirmedAt: instant(p.confirmedAt, time),
      },
    };
  }
  if (isEvent(decoded, EVENTS.orderCancelled)) {
    const p = decoded.payload;
    return {
      kind: "order",
      order: {
        kind: "cancelled",
        orderId: required(type, "order_id", p.orderId),
        userId: p.userId,
        total: money(type, "total", p.total),
        reason: p.reason === "" ? "unknown" : p.reason,
        placedAt: instant(p.placedAt, time),
        cancelledAt: instant(p.cancelledAt, time),
      },
    };
  }
  if (isEvent(decoded, EVENTS.orderRefunded)) {
    const p = decoded.payload;
    return {
      kind: "order",
      order: {
        kind: "refunded",
        orderId: required(type, "order_id", p.orderId),
        userId: p.userId,
        total: money(type, "total", p.total),
        reason: p.reason === "" ? "unknown" : p.reason,
        refundedAt: instant(p.refundedAt, time),
      },
    };
  }
  const paymentKind = PAYMENT_KIND_OF_TYPE.get(type);
  if (paymentKind !== undefined && isPaymentChange(decoded)) {
    const p = decoded.payload;
    return {
      kind: "payment",
      payment: {
        paymentId: required(type, "payment_id", p.paymentId),
        orderId: p.orderId,
        kind: paymentKind,
        amount: money(type, "amount", p.amount),
        failureCode: p.failureCode,
        at: instant(p.at, time),
      },
    };
  }
  return undefined;
}

/**
 * Decodes an event of the orders or payments topic into what analytics records.
 * @returns undefined for a valid event analytics does not aggregate (e.g. `souk.user.registered.v1`).
 * @throws PoisonMessageError — from `decodeEvent` (unknown type, bad content type or payload), or
 *   `invalid_payload` for a payload without an order/payment id, with a missing or out-of-range
 *   amount, or a non-positive line quantity: such an event can never be aggregated.
 */
export function toAnalyticsEvent(envelope: EventEnvelope): AnalyticsEventBody | undefined {
  return bodyOf(decodeEvent(envelope), envelope.time);
}
