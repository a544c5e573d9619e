// Collects what a shop run observes: latencies per endpoint class (HdrHistogram), statuses and outcomes.
import { build, type Histogram } from "hdr-histogram-js";
import {
  ENDPOINT_CLASSES,
  type CustomerFailure,
  type EndpointClass,
  type LatencySummary,
  type ServerErrorSample,
  type ShopSummary,
  type ShoppingCounts,
} from "./summary.ts";

/** How many failures and 5xx answers a summary lists (all are counted). */
export const MAX_LISTED = 20;

type Counts<T> = { -readonly [K in keyof T]: number };

/** Order counters the journeys bump directly; maps are filled through the recorder's methods. */
export interface OrderCounters {
  placed: number;
  confirmed: number;
  refunded: number;
  stillPending: number;
  customerCancels: number;
  cancelRefused: number;
  idempotentReplays: number;
  idempotencyMismatches: number;
}

/** The run's single sink of observations; JavaScript runs one journey step at a time, so no locking. */
export interface ShopRecorder {
  /** Records one HTTP answer: its latency in the class's histogram, and its status if not 2xx. */
  response(
    endpoint: EndpointClass,
    request: { method: string; route: string },
    status: number,
    latencyMs: number,
    problem: { code: string; detail: string },
  ): void;
  /** Records a request that got no answer. */
  noResponse(kind: "timeout" | "network"): void;
  readonly shopping: Counts<ShoppingCounts>;
  readonly orders: OrderCounters;
  orderCancelled(reason: string): void;
  checkoutRejected(code: string): void;
  /** Records the final status of an order (or `rejected`) under the card behaviour that paid for it. */
  cardOutcome(card: string, outcome: string): void;
  customerCompleted(): void;
  customerFailed(failure: CustomerFailure): void;
  summarize(run: {
    runId: string;
    baseUrl: string;
    seed: number;
    concurrency: number;
    customers: number;
    wallTimeMs: number;
  }): ShopSummary;
}

/** Creates an empty recorder. Latencies are kept in microseconds, reported in milliseconds. */
export function createShopRecorder(): ShopRecorder {
  const histograms = new Map<EndpointClass, Histogram>(
    ENDPOINT_CLASSES.map((name) => [name, build({ numberOfSignificantValueDigits: 3, autoResize: true })]),
  );
  let requests = 0;
  let completed = 0;
  let failed = 0;
  const failures: CustomerFailure[] = [];
  const errorsByStatus: Record<string, number> = {};
  const serverErrorSamples: ServerErrorSample[] = [];
  let serverErrors = 0;
  const cancelledByReason: Record<string, number> = {};
  const checkoutRejected: Record<string, number> = {};
  const byCard: Record<string, Record<string, number>> = {};
  const shopping: Counts<ShoppingCounts> = {
    productViews: 0,
    searches: 0,
    cartLinesAdded: 0,
    insufficientStock: 0,
    cartLinesUpdated: 0,
    cartLinesRemoved: 0,
    emptyCarts: 0,
    alreadyRegistered: 0,
    tokenRefreshes: 0,
  };
  const orders: OrderCounters = {
    placed: 0,
    confirmed: 0,
    refunded: 0,
    stillPending: 0,
    customerCancels: 0,
    cancelRefused: 0,
    idempotentReplays: 0,
    idempotencyMismatches: 0,
  };

  return {
    response(endpoint, request, status, latencyMs, problem) {
      requests += 1;
      histograms.get(endpoint)?.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
      if (status >= 200 && status < 300) return;
      increment(errorsByStatus, String(status));
      if (status >= 500) {
        serverErrors += 1;
        if (serverErrorSamples.length < MAX_LISTED) serverErrorSamples.push({ ...request, status, ...problem });
      }
    },
    noResponse(kind) {
      requests += 1;
      increment(errorsByStatus, kind);
    },
    shopping,
    orders,
    orderCancelled: (reason) => increment(cancelledByReason, reason),
    checkoutRejected: (code) => increment(checkoutRejected, code),
    cardOutcome(card, outcome) {
      increment((byCard[card] ??= {}), outcome);
    },
    customerCompleted() {
      completed += 1;
    },
    customerFailed(failure) {
      failed += 1;
      if (failures.length < MAX_LISTED) failures.push(failure);
    },
    summarize(run) {
      const latency: Record<EndpointClass, LatencySummary> = {
        auth: latencyOf(histograms.get("auth")),
        browse: latencyOf(histograms.get("browse")),
        search: latencyOf(histograms.get("search")),
        cart: latencyOf(histograms.get("cart")),
        checkout: latencyOf(histograms.get("checkout")),
        orders: latencyOf(histograms.get("orders")),
      };
      return {
        ...run,
        completedCustomers: completed,
        failedCustomers: failed,
        failures: [...failures].sort((a, b) => a.customer - b.customer),
        requests,
        errorsByStatus: { ...errorsByStatus },
        serverErrors: { count: serverErrors, samples: [...serverErrorSamples] },
        orders: {
          ...orders,
          cancelledByReason: { ...cancelledByReason },
          checkoutRejected: { ...checkoutRejected },
          byCard: structuredClone(byCard),
        },
        shopping: { ...shopping },
        throughputRps: run.wallTimeMs > 0 ? requests / (run.wallTimeMs / 1000) : 0,
        latency,
      };
    },
  };
}

function latencyOf(histogram: Histogram | undefined): LatencySummary {
  if (histogram === undefined || histogram.totalCount === 0)
    return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const maxMicros = histogram.maxValue;
  // A percentile reads the top of its bucket, which can sit a hair above the true maximum.
  const ms = (percentile: number) => Math.min(histogram.getValueAtPercentile(percentile), maxMicros) / 1000;
  return { count: histogram.totalCount, p50Ms: ms(50), p90Ms: ms(90), p99Ms: ms(99), maxMs: maxMicros / 1000 };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
