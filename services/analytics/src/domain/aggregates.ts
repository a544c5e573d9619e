import type { OrderFact } from "./order-fact.ts";

/** Milliseconds in a minute: aggregates are bucketed per UTC minute. */
export const MINUTE_MS = 60_000;

/** The start of the UTC minute `date` falls in. */
export function minuteOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS);
}

/** The counters of one minute and currency (money in minor units of that currency). */
export interface BucketCounts {
  readonly ordersPlaced: number;
  readonly ordersConfirmed: number;
  readonly ordersCancelled: number;
  readonly ordersRefunded: number;
  /** Totals of the orders confirmed in the minute (gross: refunds are not subtracted). */
  readonly revenueMinor: number;
  /** Totals of the orders refunded in the minute. */
  readonly refundsMinor: number;
}

/** All-zero counters. */
export const ZERO_COUNTS: BucketCounts = {
  ordersPlaced: 0,
  ordersConfirmed: 0,
  ordersCancelled: 0,
  ordersRefunded: 0,
  revenueMinor: 0,
  refundsMinor: 0,
};

/** A change to one minute bucket. */
export interface BucketDelta extends BucketCounts {
  readonly minute: Date;
  readonly currency: string;
}

/** A change to the sales of one product in one currency (confirmed orders). */
export interface ProductDelta {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly currency: string;
  readonly units: number;
  readonly revenueMinor: number;
}

/** A change to the count of checkouts cancelled for one reason. */
export interface ReasonDelta {
  readonly reason: string;
  readonly count: number;
}

/**
 * A change to the aggregates, in a canonical form: no all-zero entry, each list sorted by its key
 * (minute then currency; product then currency; reason) — so concurrent writers lock aggregate
 * rows in one global order and never deadlock.
 */
export interface AggregateDelta {
  readonly buckets: readonly BucketDelta[];
  readonly products: readonly ProductDelta[];
  readonly reasons: readonly ReasonDelta[];
}

/** True when the delta changes nothing. */
export function isEmptyDelta(delta: AggregateDelta): boolean {
  return delta.buckets.length === 0 && delta.products.length === 0 && delta.reasons.length === 0;
}

const COUNT_KEYS = Object.keys(ZERO_COUNTS) as (keyof BucketCounts)[];

/** `a + sign·b`, counter by counter (absent counters of `b` are 0). */
function addCounts(a: BucketCounts, b: Partial<BucketCounts>, sign: 1 | -1 = 1): BucketCounts {
  return {
    ordersPlaced: a.ordersPlaced + sign * (b.ordersPlaced ?? 0),
    ordersConfirmed: a.ordersConfirmed + sign * (b.ordersConfirmed ?? 0),
    ordersCancelled: a.ordersCancelled + sign * (b.ordersCancelled ?? 0),
    ordersRefunded: a.ordersRefunded + sign * (b.ordersRefunded ?? 0),
    revenueMinor: a.revenueMinor + sign * (b.revenueMinor ?? 0),
    refundsMinor: a.refundsMinor + sign * (b.refundsMinor ?? 0),
  };
}

/**
 * What one order contributes to the aggregates — the counting rules of analytics:
 * - placed: +1 `ordersPlaced` in the minute it was placed;
 * - confirmed: +1 `ordersConfirmed` and its total as `revenueMinor` in the minute it was confirmed,
 *   and each line's units and total to its product's sales (a later refund does not undo this:
 *   revenue is gross, refunds are counted apart);
 * - cancelled: +1 `ordersCancelled` in the minute it was cancelled, +1 for its reason;
 * - refunded: +1 `ordersRefunded` and its total as `refundsMinor` in the minute it was refunded.
 * Each rule applies once the fact holds the matching timestamp, so the aggregates are the sum of
 * this function over every order fact: a pure function of the set of events consumed.
 */
export function contributionOf(fact: OrderFact | undefined): AggregateDelta {
  if (fact === undefined) return { buckets: [], products: [], reasons: [] };
  const buckets = new Map<string, BucketDelta>();
  const add = (at: Date, counts: Partial<BucketCounts>) => {
    const minute = minuteOf(at);
    const key = `${minute.toISOString()} ${fact.currency}`;
    const current = buckets.get(key) ?? { minute, currency: fact.currency, ...ZERO_COUNTS };
    buckets.set(key, { minute, currency: fact.currency, ...addCounts(current, counts) });
  };
  if (fact.placedAt !== undefined) add(fact.placedAt, { ordersPlaced: 1 });
  if (fact.confirmedAt !== undefined) add(fact.confirmedAt, { ordersConfirmed: 1, revenueMinor: fact.totalMinor });
  if (fact.cancelledAt !== undefined) add(fact.cancelledAt, { ordersCancelled: 1 });
  if (fact.refundedAt !== undefined) add(fact.refundedAt, { ordersRefunded: 1, refundsMinor: fact.totalMinor });

  const products = new Map<string, ProductDelta>();
  if (fact.confirmedAt !== undefined) {
    for (const line of fact.lines) {
      const key = `${line.productId} ${fact.currency}`;
      const current = products.get(key);
      products.set(key, {
        productId: line.productId,
        sku: line.sku,
        name: line.name,
        currency: fact.currency,
        units: (current?.units ?? 0) + line.quantity,
        revenueMinor: (current?.revenueMinor ?? 0) + line.lineTotalMinor,
      });
    }
  }
  const reasons: ReasonDelta[] =
    fact.cancelledAt !== undefined && fact.cancellationReason !== undefined
      ? [{ reason: fact.cancellationReason, count: 1 }]
      : [];
  return canonical([...buckets.values()], [...products.values()], reasons);
}

/**
 * The change to the aggregates when an order's fact goes from `before` (undefined: unknown
 * order) to `after`: contributionOf(after) − contributionOf(before), canonical.
 */
export function deltaBetween(before: OrderFact | undefined, after: OrderFact): AggregateDelta {
  return signedSum([
    [contributionOf(after), 1],
    [contributionOf(before), -1],
  ]);
}

/**
 * The sum of `deltas`, canonical: one entry per bucket, product and reason. Applying it once
 * moves the aggregates as applying each delta in turn would, in one statement per table, each
 * locking its rows in the canonical order (a batch of events' deltas, applied together).
 */
export function sumDeltas(deltas: readonly AggregateDelta[]): AggregateDelta {
  return signedSum(deltas.map((delta) => [delta, 1] as const));
}

function signedSum(terms: readonly (readonly [AggregateDelta, 1 | -1])[]): AggregateDelta {
  const buckets = new Map<string, BucketDelta>();
  const products = new Map<string, ProductDelta>();
  const reasons = new Map<string, number>();
  for (const [delta, sign] of terms) {
    for (const b of delta.buckets) {
      const key = `${b.minute.toISOString()} ${b.currency}`;
      buckets.set(key, {
        minute: b.minute,
        currency: b.currency,
        ...addCounts(buckets.get(key) ?? ZERO_COUNTS, b, sign),
      });
    }
    for (const p of delta.products) {
      const key = `${p.productId} ${p.currency}`;
      const current = products.get(key);
      products.set(key, {
        ...p,
        units: (current?.units ?? 0) + sign * p.units,
        revenueMinor: (current?.revenueMinor ?? 0) + sign * p.revenueMinor,
      });
    }
    for (const r of delta.reasons) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + sign * r.count);
  }
  return canonical(
    [...buckets.values()],
    [...products.values()],
    [...reasons].map(([reason, count]) => ({ reason, count })),
  );
}

/** Orders strings by UTF-16 code units (not locale): the one order rows are locked in, here and in the store. */
export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function canonical(buckets: BucketDelta[], products: ProductDelta[], reasons: ReasonDelta[]): AggregateDelta {
  return {
    buckets: buckets
      .filter((b) => COUNT_KEYS.some((k) => b[k] !== 0))
      .sort((a, b) => a.minute.getTime() - b.minute.getTime() || compare(a.currency, b.currency)),
    products: products
      .filter((p) => p.units !== 0 || p.revenueMinor !== 0)
      .sort((a, b) => compare(a.productId, b.productId) || compare(a.currency, b.currency)),
    reasons: reasons.filter((r) => r.count !== 0).sort((a, b) => compare(a.reason, b.reason)),
  };
}
