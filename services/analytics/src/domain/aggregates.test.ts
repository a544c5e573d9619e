import { describe, expect, it } from "vitest";
import {
  contributionOf,
  deltaBetween,
  isEmptyDelta,
  minuteOf,
  sumDeltas,
  ZERO_COUNTS,
  type AggregateDelta,
  type BucketDelta,
} from "./aggregates.ts";
import { mergeOrderEvent, type OrderEvent, type OrderFact } from "./order-fact.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);

function fact(overrides: Partial<OrderFact>): OrderFact {
  return {
    orderId: "o-1",
    userId: "u-1",
    currency: "USD",
    totalMinor: 3_000,
    status: "placed",
    lines: [
      { productId: "p-2", sku: "B", name: "Bowl", quantity: 1, lineTotalMinor: 1_000 },
      { productId: "p-1", sku: "A", name: "Cup", quantity: 2, lineTotalMinor: 2_000 },
    ],
    cancellationReason: undefined,
    refundReason: undefined,
    placedAt: undefined,
    confirmedAt: undefined,
    cancelledAt: undefined,
    refundedAt: undefined,
    lastEventAt: at("10:00:00"),
    appliedAt: at("10:00:00"),
    confirmedAppliedAt: undefined,
    confirmedLagMs: undefined,
    ...overrides,
  };
}

const bucket = (minute: string, currency: string, counts: Partial<BucketDelta>): BucketDelta => ({
  minute: at(minute),
  currency,
  ...ZERO_COUNTS,
  ...counts,
});

/** Adds deltas up the way the store does (upserts with +): a reference for `sumDeltas`. */
function addUp(deltas: readonly AggregateDelta[]) {
  const buckets = new Map<string, number[]>();
  const products = new Map<string, number[]>();
  const reasons = new Map<string, number>();
  for (const d of deltas) {
    for (const b of d.buckets) {
      const key = `${b.minute.toISOString()} ${b.currency}`;
      const v = buckets.get(key) ?? [0, 0, 0, 0, 0, 0];
      const add = [
        b.ordersPlaced,
        b.ordersConfirmed,
        b.ordersCancelled,
        b.ordersRefunded,
        b.revenueMinor,
        b.refundsMinor,
      ];
      buckets.set(
        key,
        v.map((x, i) => x + (add[i] ?? 0)),
      );
    }
    for (const p of d.products) {
      const key = `${p.productId} ${p.currency}`;
      const v = products.get(key) ?? [0, 0];
      products.set(key, [(v[0] ?? 0) + p.units, (v[1] ?? 0) + p.revenueMinor]);
    }
    for (const r of d.reasons) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + r.count);
  }
  const nonZero = <V>(m: Map<string, V>, zero: (v: V) => boolean) =>
    Object.fromEntries([...m].filter(([, v]) => !zero(v)).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    buckets: nonZero(buckets, (v) => v.every((x) => x === 0)),
    products: nonZero(products, (v) => v.every((x) => x === 0)),
    reasons: nonZero(reasons, (v) => v === 0),
  };
}

describe("aggregate contributions (bucket math)", () => {
  it("truncates instants to the start of their UTC minute", () => {
    expect(minuteOf(at("10:07:59.999"))).toEqual(at("10:07:00"));
    expect(minuteOf(at("10:07:00"))).toEqual(at("10:07:00"));
  });

  it("an unknown order contributes nothing", () => {
    expect(isEmptyDelta(contributionOf(undefined))).toBe(true);
  });

  it("a refunded order counts placed, confirmed with its revenue, and refunded — each in its own minute", () => {
    const refunded = fact({
      status: "refunded",
      placedAt: at("10:00:30"),
      confirmedAt: at("10:01:05"),
      refundedAt: at("12:00:01"),
    });
    expect(contributionOf(refunded)).toEqual({
      buckets: [
        bucket("10:00:00", "USD", { ordersPlaced: 1 }),
        bucket("10:01:00", "USD", { ordersConfirmed: 1, revenueMinor: 3_000 }),
        bucket("12:00:00", "USD", { ordersRefunded: 1, refundsMinor: 3_000 }),
      ],
      products: [
        { productId: "p-1", sku: "A", name: "Cup", currency: "USD", units: 2, revenueMinor: 2_000 },
        { productId: "p-2", sku: "B", name: "Bowl", currency: "USD", units: 1, revenueMinor: 1_000 },
      ],
      reasons: [],
    });
  });

  it("a cancelled checkout counts in its minute and for its reason, and sells nothing", () => {
    const cancelled = fact({
      status: "cancelled",
      placedAt: at("10:00:30"),
      cancelledAt: at("10:00:45"),
      cancellationReason: "insufficient_stock",
    });
    expect(contributionOf(cancelled)).toEqual({
      buckets: [bucket("10:00:00", "USD", { ordersPlaced: 1, ordersCancelled: 1 })],
      products: [],
      reasons: [{ reason: "insufficient_stock", count: 1 }],
    });
  });

  it("the same product twice in an order sums into one row", () => {
    const twice = fact({
      confirmedAt: at("10:00:00"),
      lines: [
        { productId: "p-1", sku: "A", name: "Cup", quantity: 1, lineTotalMinor: 500 },
        { productId: "p-1", sku: "A", name: "Cup", quantity: 3, lineTotalMinor: 1_500 },
      ],
    });
    expect(contributionOf(twice).products).toEqual([
      { productId: "p-1", sku: "A", name: "Cup", currency: "USD", units: 4, revenueMinor: 2_000 },
    ]);
  });

  it("a delta is the difference of contributions, canonical (sorted, no zero entries)", () => {
    const before = fact({ placedAt: at("10:00:30") });
    const after = fact({ status: "confirmed", placedAt: at("10:00:30"), confirmedAt: at("10:02:00") });
    expect(deltaBetween(before, after)).toEqual({
      buckets: [bucket("10:02:00", "USD", { ordersConfirmed: 1, revenueMinor: 3_000 })],
      products: [
        { productId: "p-1", sku: "A", name: "Cup", currency: "USD", units: 2, revenueMinor: 2_000 },
        { productId: "p-2", sku: "B", name: "Bowl", currency: "USD", units: 1, revenueMinor: 1_000 },
      ],
      reasons: [],
    });
    expect(isEmptyDelta(deltaBetween(after, after))).toBe(true);
  });

  it("the deltas of any event sequence add up to the contribution of the final fact", () => {
    const total = { amountMinor: 3_000, currency: "USD" };
    const lines = fact({}).lines;
    const events: OrderEvent[] = [
      { kind: "refunded", orderId: "o-1", userId: "u-1", total, reason: "changed_mind", refundedAt: at("12:00:00") },
      { kind: "placed", orderId: "o-1", userId: "u-1", total, lines, placedAt: at("10:00:30") },
      {
        kind: "confirmed",
        orderId: "o-1",
        userId: "u-1",
        total,
        lines,
        placedAt: at("10:00:30"),
        confirmedAt: at("10:01:00"),
      },
    ];
    let current: OrderFact | undefined;
    const deltas: AggregateDelta[] = [];
    for (const event of [...events, events[2]!]) {
      const merged = mergeOrderEvent(current, event, { time: at("12:00:00"), appliedAt: at("12:00:01"), live: true });
      if (merged.changed) deltas.push(deltaBetween(current, merged.fact));
      current = merged.fact;
    }
    expect(addUp(deltas)).toEqual(addUp([contributionOf(current)]));
    // One canonical delta for the whole sequence: the final fact's contribution itself.
    expect(sumDeltas(deltas)).toEqual(contributionOf(current));
  });

  it("sums the deltas of a batch of orders into one canonical delta, in any order", () => {
    const confirmedUsd = deltaBetween(undefined, fact({ status: "confirmed", confirmedAt: at("10:01:10") }));
    const cancelledEur = deltaBetween(
      undefined,
      fact({
        orderId: "o-2",
        currency: "EUR",
        status: "cancelled",
        cancelledAt: at("10:00:05"),
        cancellationReason: "x",
      }),
    );
    const refundedUsd = deltaBetween(
      fact({ status: "confirmed", confirmedAt: at("10:01:10") }),
      fact({ status: "refunded", confirmedAt: at("10:01:10"), refundedAt: at("10:01:50") }),
    );
    const batch = [confirmedUsd, cancelledEur, refundedUsd];
    const sum = sumDeltas(batch);
    expect(sum).toEqual({
      buckets: [
        bucket("10:00:00", "EUR", { ordersCancelled: 1 }),
        bucket("10:01:00", "USD", { ordersConfirmed: 1, revenueMinor: 3_000, ordersRefunded: 1, refundsMinor: 3_000 }),
      ],
      products: [
        { productId: "p-1", sku: "A", name: "Cup", currency: "USD", units: 2, revenueMinor: 2_000 },
        { productId: "p-2", sku: "B", name: "Bowl", currency: "USD", units: 1, revenueMinor: 1_000 },
      ],
      reasons: [{ reason: "x", count: 1 }],
    });
    expect(addUp([sum])).toEqual(addUp(batch));
    expect(sumDeltas([...batch].reverse())).toEqual(sum);
    // A change undone within the batch leaves no entry at all.
    const unconfirmed = deltaBetween(fact({ status: "confirmed", confirmedAt: at("10:01:10") }), fact({}));
    expect(isEmptyDelta(sumDeltas([confirmedUsd, unconfirmed]))).toBe(true);
    expect(sumDeltas([])).toEqual({ buckets: [], products: [], reasons: [] });
  });
});
