import { describe, expect, it } from "vitest";
import { contributionOf } from "./aggregates.ts";
import { mergeOrderEvent, STATUS_RANK, type EventMeta, type OrderEvent, type OrderFact } from "./order-fact.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
const total = { amountMinor: 2_500, currency: "EUR" };
const lines = [{ productId: "p-1", sku: "SKU-1", name: "Mug", quantity: 2, lineTotalMinor: 2_500 }];
const base = { orderId: "o-1", userId: "u-1", total };

const placed: OrderEvent = { kind: "placed", ...base, lines, placedAt: at("10:00:05") };
const confirmed: OrderEvent = {
  kind: "confirmed",
  ...base,
  lines,
  placedAt: at("10:00:05"),
  confirmedAt: at("10:01:10"),
};
const cancelled: OrderEvent = {
  kind: "cancelled",
  ...base,
  reason: "card_declined",
  placedAt: at("10:00:05"),
  cancelledAt: at("10:00:40"),
};
const refunded: OrderEvent = { kind: "refunded", ...base, reason: "customer_request", refundedAt: at("11:30:00") };

const timeOf = (e: OrderEvent): Date =>
  e.kind === "placed"
    ? e.placedAt
    : e.kind === "confirmed"
      ? e.confirmedAt
      : e.kind === "cancelled"
        ? e.cancelledAt
        : e.refundedAt;

/** Replays `events` in order; each is applied 5 s after it happened and is live. */
function replay(events: readonly OrderEvent[], live = true): OrderFact | undefined {
  let fact: OrderFact | undefined;
  for (const event of events) {
    const time = timeOf(event);
    fact = mergeOrderEvent(fact, event, { time, appliedAt: new Date(time.getTime() + 5_000), live }).fact;
  }
  return fact;
}

/** The fact without bookkeeping times (which record when it was applied, not what it says). */
function knowledge(fact: OrderFact | undefined) {
  if (fact === undefined) return undefined;
  const { appliedAt: _a, confirmedAppliedAt: _c, confirmedLagMs: _l, ...rest } = fact;
  return rest;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("order facts (state-rank rule)", () => {
  it("ranks the lifecycle placed < confirmed < cancelled < refunded", () => {
    expect(STATUS_RANK.placed).toBeLessThan(STATUS_RANK.confirmed);
    expect(STATUS_RANK.confirmed).toBeLessThan(STATUS_RANK.cancelled);
    expect(STATUS_RANK.cancelled).toBeLessThan(STATUS_RANK.refunded);
  });

  it("a first event creates the fact with what it carries", () => {
    const fact = replay([placed]);
    expect(fact).toMatchObject({
      orderId: "o-1",
      userId: "u-1",
      currency: "EUR",
      totalMinor: 2_500,
      status: "placed",
      lines,
      placedAt: at("10:00:05"),
      confirmedAt: undefined,
      lastEventAt: at("10:00:05"),
    });
  });

  it("a confirmed order never goes back to placed when the placed event arrives late", () => {
    const fact = replay([confirmed, placed]);
    expect(fact?.status).toBe("confirmed");
    expect(fact?.confirmedAt).toEqual(at("10:01:10"));
    expect(fact?.lastEventAt).toEqual(at("10:01:10"));
  });

  it("a refund seen before its confirmation keeps the order refunded and still records the confirmation", () => {
    const fact = replay([refunded, confirmed]);
    expect(fact).toMatchObject({
      status: "refunded",
      refundedAt: at("11:30:00"),
      confirmedAt: at("10:01:10"),
      placedAt: at("10:00:05"),
      refundReason: "customer_request",
      lines,
    });
  });

  it("an event that teaches nothing new changes nothing (a logical duplicate)", () => {
    const fact = replay([placed, confirmed]);
    const again = mergeOrderEvent(fact, confirmed, { time: at("10:01:10"), appliedAt: at("12:00:00"), live: true });
    expect(again.changed).toBe(false);
    expect(again.fact).toBe(fact);
    expect(mergeOrderEvent(fact, placed, { time: at("10:00:05"), appliedAt: at("12:00:00"), live: true }).changed).toBe(
      false,
    );
  });

  it("every arrival order of the same events yields the same fact and the same contribution", () => {
    const cases: OrderEvent[][] = [
      [placed, confirmed, refunded],
      [placed, cancelled],
    ];
    for (const events of cases) {
      const expected = replay(events);
      for (const order of permutations(events)) {
        // With duplicates too.
        const fact = replay([...order, ...order.slice(0, 1)]);
        expect(knowledge(fact)).toEqual(knowledge(expected));
        expect(contributionOf(fact)).toEqual(contributionOf(expected));
      }
    }
  });

  it("measures the lag of a live confirmation once, and never of a replayed one", () => {
    const meta: EventMeta = { time: at("10:01:10"), appliedAt: at("10:01:10.250"), live: true };
    const first = mergeOrderEvent(replay([placed]), confirmed, meta).fact;
    expect(first.confirmedLagMs).toBe(250);
    expect(first.confirmedAppliedAt).toEqual(at("10:01:10.250"));
    const replayed = replay([placed, confirmed], false);
    expect(replayed?.confirmedLagMs).toBeUndefined();
    // A clock behind the producer's never yields a negative lag.
    const skewed = mergeOrderEvent(undefined, confirmed, { ...meta, appliedAt: at("10:01:09") }).fact;
    expect(skewed.confirmedLagMs).toBe(0);
  });
});
