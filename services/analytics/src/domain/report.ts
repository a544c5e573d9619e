import { invalidArgument } from "@souk/platform";
import { MINUTE_MS, minuteOf, ZERO_COUNTS, type BucketCounts, type BucketDelta } from "./aggregates.ts";
import type { PaymentKind } from "./payment-fact.ts";

/** Most minutes one GetTimeseries answers (24 hours). */
export const MAX_TIMESERIES_MINUTES = 1_440;
/** Minutes a GetTimeseries without `from` covers, ending at `to`. */
export const DEFAULT_TIMESERIES_MINUTES = 60;
/** Products GetTopProducts returns when the limit is 0; at most MAX_TOP_PRODUCTS. */
export const DEFAULT_TOP_PRODUCTS = 10;
export const MAX_TOP_PRODUCTS = 100;
/** Live order-confirmed events GetEventLag measures when `last` is 0; at most MAX_LAG_SAMPLES. */
export const DEFAULT_LAG_SAMPLES = 1_000;
export const MAX_LAG_SAMPLES = 100_000;

/** Minutes whose start lies in [from, to); `from` undefined = since the first event, `to` undefined = up to the last. */
export interface TimeWindow {
  readonly from: Date | undefined;
  readonly to: Date | undefined;
}

/** How many payments reached one state, and for how much (minor units). */
export interface PaymentTotal {
  readonly kind: PaymentKind;
  readonly count: number;
  readonly amountMinor: number;
}

/** The orders and money of one currency over a window. */
export interface CurrencyTotals extends BucketCounts {
  readonly currency: string;
  readonly payments: readonly PaymentTotal[];
}

/** What GetSummary answers. */
export interface Summary {
  /** Sorted by currency. */
  readonly currencies: readonly CurrencyTotals[];
  /** Events applied (inbox entries) in the current consumer generation. */
  readonly eventsProcessed: number;
  readonly consumerGroup: string;
}

/** Sales of one product in one currency. */
export interface ProductSales {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly currency: string;
  readonly units: number;
  readonly revenueMinor: number;
}

/** What GetTopProducts ranks by. */
export type RankBy = "units" | "revenue";

/** A validated GetTopProducts query. */
export interface TopProductsQuery {
  /** 1..MAX_TOP_PRODUCTS. */
  readonly limit: number;
  /** ISO 4217 code; undefined = every currency. */
  readonly currency: string | undefined;
  readonly rankBy: RankBy;
}

/** Checkouts cancelled for one reason. */
export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** End-to-end latency of live order-confirmed events (applied at − event time), in milliseconds. */
export interface EventLag {
  /** Events measured (0 when none was applied live yet; the figures are then 0). */
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Checkout conversion: confirmed / (confirmed + cancelled) — the share of checkouts that reached
 * a terminal state and ended confirmed; 0 when none did.
 */
export function conversionOf(counts: Pick<BucketCounts, "ordersConfirmed" | "ordersCancelled">): number {
  const terminal = counts.ordersConfirmed + counts.ordersCancelled;
  return terminal === 0 ? 0 : counts.ordersConfirmed / terminal;
}

function checkOrder(from: Date | undefined, to: Date): void {
  if (from !== undefined && from.getTime() > to.getTime()) {
    throw invalidArgument("ANALYTICS_INVALID_RANGE", "from must not be after to", [
      { field: "from", message: "must not be after to" },
    ]);
  }
}

/**
 * GetSummary's window: [from truncated to the minute, to), either end open when absent. An open
 * end (rather than "now") keeps events stamped by a producer whose clock is slightly ahead.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_RANGE when `from` is after `to`.
 */
export function summaryWindow(from: Date | undefined, to: Date | undefined): TimeWindow {
  if (to !== undefined) checkOrder(from, to);
  return { from: from === undefined ? undefined : minuteOf(from), to };
}

/**
 * GetTimeseries' window: [from truncated to the minute, to), `to` defaulting to `now` and `from`
 * to DEFAULT_TIMESERIES_MINUTES before `to`.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_RANGE when `from` is after `to` or the window
 *   holds more than MAX_TIMESERIES_MINUTES minutes.
 */
export function timeseriesWindow(from: Date | undefined, to: Date | undefined, now: Date): { from: Date; to: Date } {
  const end = to ?? now;
  const start = minuteOf(from ?? new Date(end.getTime() - DEFAULT_TIMESERIES_MINUTES * MINUTE_MS));
  checkOrder(start, end);
  if (minutesIn({ from: start, to: end }) > MAX_TIMESERIES_MINUTES) {
    throw invalidArgument("ANALYTICS_INVALID_RANGE", `a timeseries spans at most ${MAX_TIMESERIES_MINUTES} minutes`, [
      { field: "from", message: `must be at most ${MAX_TIMESERIES_MINUTES} minutes before to` },
    ]);
  }
  return { from: start, to: end };
}

/** How many minute starts lie in [from, to) (from minute-aligned). */
function minutesIn(window: { from: Date; to: Date }): number {
  return Math.max(0, Math.ceil((window.to.getTime() - window.from.getTime()) / MINUTE_MS));
}

/**
 * A currency filter: undefined for empty, else the ISO 4217 code.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_CURRENCY unless three upper-case letters.
 */
export function currencyFilter(currency: string): string | undefined {
  if (currency === "") return undefined;
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw invalidArgument("ANALYTICS_INVALID_CURRENCY", "currency must be an ISO 4217 code such as USD", [
      { field: "currency", message: "must be three upper-case letters (ISO 4217)" },
    ]);
  }
  return currency;
}

/**
 * Validates a GetTopProducts query (limit 0 → DEFAULT_TOP_PRODUCTS).
 * @throws SoukError invalid_argument ANALYTICS_INVALID_LIMIT (limit outside 0..100),
 *   ANALYTICS_INVALID_CURRENCY, ANALYTICS_CURRENCY_REQUIRED (revenue ranking without a currency:
 *   amounts in different currencies do not compare).
 */
export function topProductsQuery(limit: number, currency: string, rankBy: RankBy): TopProductsQuery {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_TOP_PRODUCTS) {
    throw invalidArgument("ANALYTICS_INVALID_LIMIT", `limit must be between 1 and ${MAX_TOP_PRODUCTS}`, [
      { field: "limit", message: `must be between 1 and ${MAX_TOP_PRODUCTS}` },
    ]);
  }
  const filter = currencyFilter(currency);
  if (rankBy === "revenue" && filter === undefined) {
    throw invalidArgument("ANALYTICS_CURRENCY_REQUIRED", "ranking by revenue needs a currency", [
      { field: "currency", message: "is required when ranking by revenue" },
    ]);
  }
  return { limit: limit === 0 ? DEFAULT_TOP_PRODUCTS : limit, currency: filter, rankBy };
}

/**
 * How many events GetEventLag measures (0 → DEFAULT_LAG_SAMPLES).
 * @throws SoukError invalid_argument ANALYTICS_INVALID_LIMIT outside 0..MAX_LAG_SAMPLES.
 */
export function lagSamples(last: number): number {
  if (!Number.isInteger(last) || last < 0 || last > MAX_LAG_SAMPLES) {
    throw invalidArgument("ANALYTICS_INVALID_LIMIT", `last must be between 1 and ${MAX_LAG_SAMPLES}`, [
      { field: "last", message: `must be between 1 and ${MAX_LAG_SAMPLES}` },
    ]);
  }
  return last === 0 ? DEFAULT_LAG_SAMPLES : last;
}

/**
 * The dense series of `window`: one bucket per minute and currency, zeros where nothing happened,
 * ordered by minute then currency. `stored` are the non-empty buckets of the window; `currencies`
 * the currencies to include (every currency of `stored` when undefined).
 */
export function denseSeries(
  stored: readonly BucketDelta[],
  window: { from: Date; to: Date },
  currencies?: readonly string[],
): BucketDelta[] {
  const byKey = new Map(stored.map((b) => [`${b.minute.getTime()} ${b.currency}`, b]));
  const codes = [...new Set(currencies ?? stored.map((b) => b.currency))].sort();
  const series: BucketDelta[] = [];
  const count = minutesIn(window);
  for (let i = 0; i < count; i++) {
    const minute = new Date(window.from.getTime() + i * MINUTE_MS);
    for (const currency of codes) {
      series.push(byKey.get(`${minute.getTime()} ${currency}`) ?? { minute, currency, ...ZERO_COUNTS });
    }
  }
  return series;
}
