// What a shop run reports, and its text rendering.

/** The endpoint classes latencies are grouped by. `orders` holds order reads, polls and cancels. */
export const ENDPOINT_CLASSES = ["auth", "browse", "search", "cart", "checkout", "orders"] as const;

/** One endpoint class (see `ENDPOINT_CLASSES`). */
export type EndpointClass = (typeof ENDPOINT_CLASSES)[number];

/** Latency percentiles of one endpoint class, in milliseconds (0 when `count` is 0). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One unexpected 5xx answer, as the store described it (problem+json `code` and `detail`). */
export interface ServerErrorSample {
  readonly method: string;
  /** The route template, e.g. `/v1/orders/{id}`. */
  readonly route: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

/** A customer whose journey stopped on an unexpected error; the others carried on. */
export interface CustomerFailure {
  /** The customer's number in this run (0-based). */
  readonly customer: number;
  /** The journey step that failed: register, login, browse, search, cart, checkout, orders. */
  readonly step: string;
  readonly message: string;
}

/** What happened to the orders the crowd placed. */
export interface OrderOutcomes {
  /** Checkouts that created an order (201 or 202). */
  readonly placed: number;
  /** Orders whose checkout saga ended CONFIRMED (including those the customer later cancelled). */
  readonly confirmed: number;
  /** Orders that ended CANCELLED (by the saga or by the customer), by `cancellationReason`. */
  readonly cancelledByReason: Readonly<Record<string, number>>;
  /** Orders that ended REFUNDED. */
  readonly refunded: number;
  /** Orders still PENDING when polling gave up (a saga that did not finish in time). */
  readonly stillPending: number;
  /** Checkouts the store refused without creating an order, by problem `code` (e.g. out of stock). */
  readonly checkoutRejected: Readonly<Record<string, number>>;
  /** Cancel requests customers sent for confirmed orders. */
  readonly customerCancels: number;
  /** Cancel requests the store refused (409), e.g. an order already shipped or cancelled. */
  readonly cancelRefused: number;
  /** Checkouts repeated with the same Idempotency-Key, and how many returned a different order. */
  readonly idempotentReplays: number;
  readonly idempotencyMismatches: number;
  /** Final order status (or `rejected`) per card behaviour, e.g. `{ declined: { CANCELLED: 4 } }`. */
  readonly byCard: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Counts of the shopping steps before checkout. */
export interface ShoppingCounts {
  readonly productViews: number;
  readonly searches: number;
  readonly cartLinesAdded: number;
  /** Cart additions or updates refused with 409 (not enough stock). */
  readonly insufficientStock: number;
  readonly cartLinesUpdated: number;
  readonly cartLinesRemoved: number;
  /** Customers who ended with an empty cart (nothing in stock) and skipped checkout. */
  readonly emptyCarts: number;
  /** Registrations answered 409 (the email already existed). */
  readonly alreadyRegistered: number;
  readonly tokenRefreshes: number;
}

/** The result of one shop run. */
export interface ShopSummary {
  /** Unique per run; part of every customer's email. */
  readonly runId: string;
  readonly baseUrl: string;
  readonly seed: number;
  readonly concurrency: number;
  readonly customers: number;
  readonly completedCustomers: number;
  /** How many journeys failed, and the first few of them (`failures.length` ≤ `failedCustomers`). */
  readonly failedCustomers: number;
  readonly failures: readonly CustomerFailure[];
  /** Every HTTP request sent (including retries after 429). */
  readonly requests: number;
  /** Non-2xx answers by status (`"409"`), plus `"timeout"` and `"network"` for requests with no answer. */
  readonly errorsByStatus: Readonly<Record<string, number>>;
  /** Unexpected 5xx answers: how many, and the first few. */
  readonly serverErrors: { readonly count: number; readonly samples: readonly ServerErrorSample[] };
  readonly orders: OrderOutcomes;
  readonly shopping: ShoppingCounts;
  readonly wallTimeMs: number;
  /** Requests per second over the wall time. */
  readonly throughputRps: number;
  readonly latency: Readonly<Record<EndpointClass, LatencySummary>>;
}

/**
 * Renders a summary as a compact, fixed-width text report (no colours, no trailing newline),
 * for a terminal or a CI log.
 */
export function formatSummary(summary: ShopSummary): string {
  const { orders, shopping } = summary;
  const lines = [
    `Souk shop run ${summary.runId} (seed ${summary.seed}) against ${summary.baseUrl}`,
    row(
      "customers",
      `${summary.customers} (${summary.completedCustomers} completed, ${summary.failedCustomers} failed)` +
        ` · concurrency ${summary.concurrency}`,
    ),
    row(
      "requests",
      `${summary.requests} in ${(summary.wallTimeMs / 1000).toFixed(1)} s = ${summary.throughputRps.toFixed(1)} req/s`,
    ),
    row(
      "shopping",
      [
        `${shopping.productViews} product views`,
        `${shopping.searches} searches`,
        `${shopping.cartLinesAdded} lines added`,
        `${shopping.cartLinesUpdated} updated`,
        `${shopping.cartLinesRemoved} removed`,
        `${shopping.insufficientStock} out of stock`,
        `${shopping.emptyCarts} empty carts`,
        `${shopping.tokenRefreshes} token refreshes`,
      ].join(" · "),
    ),
    row(
      "orders",
      [
        `${orders.placed} placed`,
        `${orders.confirmed} confirmed`,
        `${sum(orders.cancelledByReason)} cancelled`,
        `${orders.refunded} refunded`,
        `${orders.stillPending} still pending`,
        `${orders.customerCancels} customer cancels (${orders.cancelRefused} refused)`,
      ].join(" · "),
    ),
    row("cancelled", tally(orders.cancelledByReason)),
    row("rejected", tally(orders.checkoutRejected)),
    row(
      "idempotency",
      `${orders.idempotentReplays} replays, ${orders.idempotencyMismatches} returned a different order`,
    ),
    ...Object.entries(orders.byCard)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([card, outcomes], i) => row(i === 0 ? "by card" : "", `${card}: ${tally(outcomes)}`)),
    row("errors", tally(summary.errorsByStatus)),
    row("5xx", `${summary.serverErrors.count} unexpected`),
    ...summary.serverErrors.samples.map((e) => row("", `${e.status} ${e.method} ${e.route} ${e.code}: ${e.detail}`)),
    "",
    `  ${"latency ms".padEnd(12)}${["count", "p50", "p90", "p99", "max"].map((h) => h.padStart(9)).join("")}`,
    ...Object.entries(summary.latency).map(
      ([name, l]) =>
        `  ${name.padEnd(12)}${String(l.count).padStart(9)}` +
        [l.p50Ms, l.p90Ms, l.p99Ms, l.maxMs].map((ms) => ms.toFixed(1).padStart(9)).join(""),
    ),
  ];
  if (summary.failedCustomers > 0) {
    lines.push("", `  failed customers (${summary.failedCustomers}, first ${summary.failures.length}):`);
    for (const f of summary.failures) lines.push(`    #${f.customer} at ${f.step}: ${f.message}`);
  }
  return lines.join("\n");
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(12)}${text}`;
}

/** `a 3 · b 1`, largest first; `none` when empty. */
function tally(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb));
  return entries.length === 0 ? "none" : entries.map(([key, n]) => `${key} ${n}`).join(" · ");
}

function sum(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
