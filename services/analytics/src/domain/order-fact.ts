import type { Money } from "@souk/platform";

/**
 * Where an order stands as far as analytics has heard: placed (checkout started), then confirmed
 * or cancelled (checkout ended), then — for a confirmed order — refunded.
 */
export type OrderFactStatus = "placed" | "confirmed" | "cancelled" | "refunded";

/**
 * Rank of each status in the order lifecycle. Events of one order can arrive late, twice, or (in a
 * replay under another partitioning) out of order; a fact only ever moves to a higher rank, so a
 * confirmed order never goes back to placed whatever the arrival order. The ranks are a total
 * order, which makes the merged status the same for every arrival order.
 */
export const STATUS_RANK: Readonly<Record<OrderFactStatus, number>> = {
  placed: 1,
  confirmed: 2,
  cancelled: 3,
  refunded: 4,
};

/** One line of an order as analytics keeps it: what was sold, how many, for how much (minor units). */
export interface SoldLine {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  /** Units, a positive integer. */
  readonly quantity: number;
  /** quantity × unit price, in minor units of the order's currency. */
  readonly lineTotalMinor: number;
}

/** What one order event says, decoded from its Protobuf payload (events/ maps it). */
export type OrderEvent =
  | {
      readonly kind: "placed";
      readonly orderId: string;
      readonly userId: string;
      readonly total: Money;
      readonly lines: readonly SoldLine[];
      readonly placedAt: Date;
    }
  | {
      readonly kind: "confirmed";
      readonly orderId: string;
      readonly userId: string;
      readonly total: Money;
      readonly lines: readonly SoldLine[];
      readonly placedAt: Date;
      readonly confirmedAt: Date;
    }
  | {
      readonly kind: "cancelled";
      readonly orderId: string;
      readonly userId: string;
      readonly total: Money;
      readonly reason: string;
      readonly placedAt: Date;
      readonly cancelledAt: Date;
    }
  | {
      readonly kind: "refunded";
      readonly orderId: string;
      readonly userId: string;
      readonly total: Money;
      readonly reason: string;
      readonly refundedAt: Date;
    };

/**
 * Everything analytics knows about one order: the source of truth every aggregate is derived from
 * (`contributionOf`). Each field is filled by the first event that carries it and never changed
 * afterwards (the events of one order agree on them), and `status` is the highest-ranked status
 * seen — so the fact after a set of events is the same whatever order they arrived in.
 */
export interface OrderFact {
  readonly orderId: string;
  readonly userId: string;
  /** ISO 4217 code of the order's total. */
  readonly currency: string;
  /** The order's total in minor units. */
  readonly totalMinor: number;
  readonly status: OrderFactStatus;
  /** Empty until a placed or confirmed event arrived. */
  readonly lines: readonly SoldLine[];
  /** Why the checkout was cancelled (e.g. `card_declined`); undefined unless cancelled. */
  readonly cancellationReason: string | undefined;
  /** Why a confirmed order was refunded; undefined unless refunded. */
  readonly refundReason: string | undefined;
  readonly placedAt: Date | undefined;
  readonly confirmedAt: Date | undefined;
  readonly cancelledAt: Date | undefined;
  readonly refundedAt: Date | undefined;
  /** Time of the latest event that changed the fact (CloudEvents `time`). */
  readonly lastEventAt: Date;
  /** When analytics last changed the fact. */
  readonly appliedAt: Date;
  /**
   * When the confirmed event was applied, and its end-to-end lag (applied at − event time, ms) —
   * only for events applied live (not part of a replay), else undefined. GetEventLag's source.
   */
  readonly confirmedAppliedAt: Date | undefined;
  readonly confirmedLagMs: number | undefined;
}

/** The envelope attributes of an event that analytics keeps beside its payload. */
export interface EventMeta {
  /** CloudEvents `time`: when the state change happened. */
  readonly time: Date;
  /** When analytics applies it. */
  readonly appliedAt: Date;
  /** False for an event replayed from before the current consumer generation started (its lag is meaningless). */
  readonly live: boolean;
}

/** The result of merging an event into a fact: the new fact, and whether anything changed. */
export interface MergeResult {
  readonly fact: OrderFact;
  readonly changed: boolean;
}

const higher = (a: OrderFactStatus, b: OrderFactStatus): OrderFactStatus => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a);

const laterOf = (a: Date, b: Date): Date => (b.getTime() > a.getTime() ? b : a);

/** The fact of an order first heard of through `event`. */
function factFrom(event: OrderEvent, meta: EventMeta): OrderFact {
  return {
    orderId: event.orderId,
    userId: event.userId,
    currency: event.total.currency,
    totalMinor: event.total.amountMinor,
    status: "placed",
    lines: [],
    cancellationReason: undefined,
    refundReason: undefined,
    placedAt: undefined,
    confirmedAt: undefined,
    cancelledAt: undefined,
    refundedAt: undefined,
    lastEventAt: meta.time,
    appliedAt: meta.appliedAt,
    confirmedAppliedAt: undefined,
    confirmedLagMs: undefined,
  };
}

/**
 * Merges one order event into what analytics knew about the order (`existing`, undefined for a
 * first event). Rules, chosen so that the merged fact does not depend on arrival order or
 * duplicates: fields are taken from the first event that carries them; the status moves only up
 * (STATUS_RANK); `lastEventAt` is the latest event time. `changed` is false when the event taught
 * nothing new (a logical duplicate: nothing is written and no aggregate moves).
 */
export function mergeOrderEvent(existing: OrderFact | undefined, event: OrderEvent, meta: EventMeta): MergeResult {
  const before = existing ?? factFrom(event, meta);
  let next: OrderFact = { ...before, status: higher(before.status, event.kind) };
  switch (event.kind) {
    case "placed":
      next = { ...next, placedAt: next.placedAt ?? event.placedAt, lines: pickLines(next.lines, event.lines) };
      break;
    case "confirmed": {
      const firstConfirmation = next.confirmedAt === undefined;
      next = {
        ...next,
        placedAt: next.placedAt ?? event.placedAt,
        confirmedAt: next.confirmedAt ?? event.confirmedAt,
        lines: pickLines(next.lines, event.lines),
      };
      if (firstConfirmation && meta.live) {
        next = {
          ...next,
          confirmedAppliedAt: meta.appliedAt,
          confirmedLagMs: Math.max(0, meta.appliedAt.getTime() - meta.time.getTime()),
        };
      }
      break;
    }
    case "cancelled":
      next = {
        ...next,
        placedAt: next.placedAt ?? event.placedAt,
        cancelledAt: next.cancelledAt ?? event.cancelledAt,
        cancellationReason: next.cancellationReason ?? event.reason,
      };
      break;
    case "refunded":
      next = {
        ...next,
        refundedAt: next.refundedAt ?? event.refundedAt,
        refundReason: next.refundReason ?? event.reason,
      };
      break;
  }
  const changed = existing === undefined || !sameKnowledge(existing, next);
  if (!changed) return { fact: existing, changed: false };
  return { fact: { ...next, lastEventAt: laterOf(before.lastEventAt, meta.time), appliedAt: meta.appliedAt }, changed };
}

function pickLines(known: readonly SoldLine[], carried: readonly SoldLine[]): readonly SoldLine[] {
  return known.length > 0 ? known : carried;
}

const sameTime = (a: Date | undefined, b: Date | undefined) => a?.getTime() === b?.getTime();

/** True when two facts of one order hold the same knowledge (bookkeeping times aside). */
function sameKnowledge(a: OrderFact, b: OrderFact): boolean {
  return (
    a.status === b.status &&
    a.lines.length === b.lines.length &&
    a.cancellationReason === b.cancellationReason &&
    a.refundReason === b.refundReason &&
    sameTime(a.placedAt, b.placedAt) &&
    sameTime(a.confirmedAt, b.confirmedAt) &&
    sameTime(a.cancelledAt, b.cancelledAt) &&
    sameTime(a.refundedAt, b.refundedAt)
  );
}
