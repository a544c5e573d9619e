import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PaymentEventKind } from "@souk/contracts/events/payments";
import { EVENTS, TOPICS, newEvent, type EventEnvelope } from "@souk/messaging";

/** An event and the topic it is published to. */
export interface StreamEvent {
  readonly topic: string;
  readonly event: EventEnvelope;
}

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
const money = (amountMinor: number, currency: string) => ({ amountMinor: BigInt(amountMinor), currency });

interface LineSpec {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitMinor: number;
}

interface OrderSpec {
  readonly id: string;
  readonly currency: string;
  readonly lines: readonly LineSpec[];
  readonly placedAt: string;
  readonly confirmedAt?: string;
  readonly cancelled?: { readonly at: string; readonly reason: string };
  readonly refundedAt?: string;
}

const MUG = { productId: "p-mug", sku: "MUG-1", name: "Mug" };
const TEA = { productId: "p-tea", sku: "TEA-1", name: "Tea" };

/**
 * Seven orders over two currencies and several minutes of 2026-01-01 (UTC):
 *
 * | order | currency | lines | placed | then |
 * |---|---|---|---|---|
 * | o1 | EUR | 2 mug @1000, 1 tea @500 (2500) | 10:00:10 | confirmed 10:00:50 |
 * | o2 | EUR | 1 mug @1000 (1000) | 10:01:05 | cancelled 10:01:30 card_declined |
 * | o3 | USD | 4 mug @1000 (4000) | 10:01:20 | confirmed 10:02:10 |
 * | o4 | USD | 1 tea @700 (700) | 10:02:40 | cancelled 10:03:00 insufficient_stock |
 * | o5 | EUR | 6 tea @500 (3000) | 10:03:10 | confirmed 10:03:40, refunded 10:20:00 |
 * | o6 | USD | 1 mug @1500 (1500) | 10:04:00 | cancelled 10:04:30 card_declined |
 * | o7 | EUR | 1 tea @700 (700) | 10:05:00 | still pending |
 *
 * with the payments' events (authorized + captured for each confirmed order, refunded for o5,
 * failed card_declined for o2 and o6).
 */
export const ORDERS: readonly OrderSpec[] = [
  {
    id: "o1",
    currency: "EUR",
    lines: [
      { ...MUG, quantity: 2, unitMinor: 1_000 },
      { ...TEA, quantity: 1, unitMinor: 500 },
    ],
    placedAt: "10:00:10",
    confirmedAt: "10:00:50",
  },
  {
    id: "o2",
    currency: "EUR",
    lines: [{ ...MUG, quantity: 1, unitMinor: 1_000 }],
    placedAt: "10:01:05",
    cancelled: { at: "10:01:30", reason: "card_declined" },
  },
  {
    id: "o3",
    currency: "USD",
    lines: [{ ...MUG, quantity: 4, unitMinor: 1_000 }],
    placedAt: "10:01:20",
    confirmedAt: "10:02:10",
  },
  {
    id: "o4",
    currency: "USD",
    lines: [{ ...TEA, quantity: 1, unitMinor: 700 }],
    placedAt: "10:02:40",
    cancelled: { at: "10:03:00", reason: "insufficient_stock" },
  },
  {
    id: "o5",
    currency: "EUR",
    lines: [{ ...TEA, quantity: 6, unitMinor: 500 }],
    placedAt: "10:03:10",
    confirmedAt: "10:03:40",
    refundedAt: "10:20:00",
  },
  {
    id: "o6",
    currency: "USD",
    lines: [{ ...MUG, quantity: 1, unitMinor: 1_500 }],
    placedAt: "10:04:00",
    cancelled: { at: "10:04:30", reason: "card_declined" },
  },
  { id: "o7", currency: "EUR", lines: [{ ...TEA, quantity: 1, unitMinor: 700 }], placedAt: "10:05:00" },
];

const ORDERS_SOURCE = { source: "/souk/orders" };
const PAYMENTS_SOURCE = { source: "/souk/payments" };

/** Every event of `ORDERS`, per order in lifecycle order (orders topic first, then payments). */
export function orderStream(): StreamEvent[] {
  const stream: StreamEvent[] = [];
  for (const order of ORDERS) {
    const totalMinor = order.lines.reduce((sum, l) => sum + l.quantity * l.unitMinor, 0);
    const total = money(totalMinor, order.currency);
    const lines = order.lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      unitPrice: money(l.unitMinor, order.currency),
      lineTotal: money(l.quantity * l.unitMinor, order.currency),
    }));
    const base = { orderId: order.id, userId: `user-of-${order.id}`, total };
    const placedAt = timestampFromDate(at(order.placedAt));
    const push = (topic: string, message: { event: EventEnvelope }) => stream.push({ topic, event: message.event });
    const opts = (time: string, source: { source: string }) => ({ ...source, subject: order.id, time: at(time) });
    // Every payment type shares one payload schema.
    const payment = (kind: PaymentEventKind, def: typeof EVENTS.paymentAuthorized, time: string, failureCode = "") =>
      push(
        TOPICS.payments,
        newEvent(
          def,
          {
            paymentId: `pay-${order.id}`,
            orderId: order.id,
            userId: base.userId,
            kind,
            amount: total,
            failureCode,
            at: timestampFromDate(at(time)),
          },
          opts(time, PAYMENTS_SOURCE),
        ),
      );

    push(
      TOPICS.orders,
      newEvent(EVENTS.orderPlaced, { ...base, lines, placedAt }, opts(order.placedAt, ORDERS_SOURCE)),
    );
    if (order.confirmedAt !== undefined) {
      payment(PaymentEventKind.AUTHORIZED, EVENTS.paymentAuthorized, order.placedAt);
      payment(PaymentEventKind.CAPTURED, EVENTS.paymentCaptured, order.confirmedAt);
      push(
        TOPICS.orders,
        newEvent(
          EVENTS.orderConfirmed,
          { ...base, lines, placedAt, confirmedAt: timestampFromDate(at(order.confirmedAt)) },
          opts(order.confirmedAt, ORDERS_SOURCE),
        ),
      );
    }
    if (order.cancelled !== undefined) {
      if (order.cancelled.reason === "card_declined") {
        payment(PaymentEventKind.FAILED, EVENTS.paymentFailed, order.cancelled.at, "card_declined");
      }
      push(
        TOPICS.orders,
        newEvent(
          EVENTS.orderCancelled,
          { ...base, reason: order.cancelled.reason, placedAt, cancelledAt: timestampFromDate(at(order.cancelled.at)) },
          opts(order.cancelled.at, ORDERS_SOURCE),
        ),
      );
    }
    if (order.refundedAt !== undefined) {
      payment(PaymentEventKind.REFUNDED, EVENTS.paymentRefunded, order.refundedAt);
      push(
        TOPICS.orders,
        newEvent(
          EVENTS.orderRefunded,
          { ...base, reason: "customer_request", refundedAt: timestampFromDate(at(order.refundedAt)) },
          opts(order.refundedAt, ORDERS_SOURCE),
        ),
      );
    }
  }
  return stream;
}

/** A deterministic pseudo-random source in [0, 1) (mulberry32), for reproducible shuffles. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A Fisher–Yates shuffle of `items` driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
