import type { Clock, Logger } from "@souk/platform";
import { Gauge, Histogram, type Registry } from "prom-client";
import { conversionOf, type ReasonCount, type Summary } from "../domain/report.ts";

/** What the business metrics read on a scrape. */
export interface BusinessMetricsSource {
  /** All-time summary (GetSummary without a window). */
  readonly summary: () => Promise<Summary>;
  readonly cancellationReasons: () => Promise<ReasonCount[]>;
}

/** The metrics analytics feeds directly (the gauges read the aggregates themselves). */
export interface AnalyticsMetrics {
  /** `souk_analytics_event_lag_seconds{type}`: applied at − event time of every live event applied. */
  readonly eventLag: Histogram<"type">;
}

interface Snapshot {
  readonly summary: Summary;
  readonly reasons: readonly ReasonCount[];
}

/**
 * Registers analytics' Prometheus business metrics on `registry` (the process's, served at
 * `GET /metrics`). The gauges are computed at scrape time from the aggregates in the database
 * (prom-client async `collect`), so they are right after a restart or a rebuild and every replica
 * exports the same values — aggregate them with `max`, not `sum`. One read of the aggregates serves
 * every gauge of a scrape (cached `cacheMs`). When the read fails, the gauges keep their previous
 * values and the failure is logged: the rest of /metrics is still served.
 *
 * - `souk_orders_total{currency,status}` — orders placed / confirmed / cancelled / refunded;
 * - `souk_revenue_minor_total{currency}` — gross revenue of confirmed orders, minor units;
 * - `souk_refunds_minor_total{currency}` — refunded totals, minor units;
 * - `souk_checkout_conversion_ratio` — confirmed / (confirmed + cancelled), all currencies;
 * - `souk_order_cancellations_total{reason}` — cancelled checkouts by reason;
 * - `souk_payments_total{currency,kind}` — payments by state;
 * - `souk_analytics_events_processed` — events applied in the current consumer generation;
 * - `souk_analytics_event_lag_seconds{type}` (histogram) — end-to-end lag of live events.
 *
 * @throws Error from prom-client when these names are already registered on `registry`.
 */
export function registerAnalyticsMetrics(deps: {
  registry: Registry;
  source: BusinessMetricsSource;
  logger: Logger;
  clock: Clock;
  cacheMs: number;
}): AnalyticsMetrics {
  const { registry, source, logger, clock } = deps;
  let cached: { at: number; snapshot: Promise<Snapshot | undefined> } | undefined;

  /** The aggregates' snapshot of this scrape; undefined (logged once) when they cannot be read. */
  function read(): Promise<Snapshot | undefined> {
    const now = clock().getTime();
    if (cached === undefined || now - cached.at >= deps.cacheMs || now < cached.at) {
      const at = now;
      const snapshot = Promise.all([source.summary(), source.cancellationReasons()]).then(
        ([summary, reasons]) => ({ summary, reasons }),
        (error: unknown) => {
          logger.warn({ err: error }, "business metrics unavailable; keeping their previous values");
          // A failed read is not reused by the next scrape.
          if (cached?.at === at) cached = undefined;
          return undefined;
        },
      );
      cached = { at, snapshot };
    }
    return cached.snapshot;
  }

  /** Refills `gauge` from this scrape's snapshot; leaves it as it was when the aggregates cannot be read. */
  async function refresh<T extends string>(gauge: Gauge<T>, fill: (snapshot: Snapshot) => void): Promise<void> {
    const snapshot = await read();
    if (snapshot === undefined) return;
    gauge.reset();
    fill(snapshot);
  }

  new Gauge({
    name: "souk_orders_total",
    help: "Orders by currency and status reached (placed, confirmed, cancelled, refunded)",
    labelNames: ["currency", "status"],
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => {
        for (const c of summary.currencies) {
          this.set({ currency: c.currency, status: "placed" }, c.ordersPlaced);
          this.set({ currency: c.currency, status: "confirmed" }, c.ordersConfirmed);
          this.set({ currency: c.currency, status: "cancelled" }, c.ordersCancelled);
          this.set({ currency: c.currency, status: "refunded" }, c.ordersRefunded);
        }
      });
    },
  });
  new Gauge({
    name: "souk_revenue_minor_total",
    help: "Gross revenue of confirmed orders, in minor units of the currency",
    labelNames: ["currency"],
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => {
        for (const c of summary.currencies) this.set({ currency: c.currency }, c.revenueMinor);
      });
    },
  });
  new Gauge({
    name: "souk_refunds_minor_total",
    help: "Refunded order totals, in minor units of the currency",
    labelNames: ["currency"],
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => {
        for (const c of summary.currencies) this.set({ currency: c.currency }, c.refundsMinor);
      });
    },
  });
  new Gauge({
    name: "souk_checkout_conversion_ratio",
    help: "Checkouts confirmed / checkouts that reached a terminal state (confirmed + cancelled)",
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => {
        const sum = (pick: (c: Summary["currencies"][number]) => number) =>
          summary.currencies.reduce((total, c) => total + pick(c), 0);
        this.set(
          conversionOf({
            ordersConfirmed: sum((c) => c.ordersConfirmed),
            ordersCancelled: sum((c) => c.ordersCancelled),
          }),
        );
      });
    },
  });
  new Gauge({
    name: "souk_order_cancellations_total",
    help: "Cancelled checkouts by reason",
    labelNames: ["reason"],
    registers: [registry],
    async collect() {
      await refresh(this, ({ reasons }) => {
        for (const r of reasons) this.set({ reason: r.reason }, r.count);
      });
    },
  });
  new Gauge({
    name: "souk_payments_total",
    help: "Payments by currency and state reached (authorized, captured, voided, refunded, failed)",
    labelNames: ["currency", "kind"],
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => {
        for (const c of summary.currencies) {
          for (const p of c.payments) this.set({ currency: c.currency, kind: p.kind }, p.count);
        }
      });
    },
  });
  new Gauge({
    name: "souk_analytics_events_processed",
    help: "Events analytics applied in its current consumer generation (watch a rebuild progress)",
    registers: [registry],
    async collect() {
      await refresh(this, ({ summary }) => this.set(summary.eventsProcessed));
    },
  });
  const eventLag = new Histogram({
    name: "souk_analytics_event_lag_seconds",
    help: "End-to-end lag of live events: applied by analytics − event time, seconds",
    labelNames: ["type"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return { eventLag };
}
