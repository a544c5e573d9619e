import Type from "typebox";
import { MoneyDto } from "./common.schemas.ts";

/** An RFC 3339 instant in a query string, e.g. `2026-01-01T10:00:00Z`. */
const Instant = (description: string) => Type.String({ format: "date-time", maxLength: 40, description });

/** An ISO 4217 currency code filter. */
const CurrencyFilter = Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 code, e.g. EUR" });

/** GET /v1/admin/analytics/summary query: the window [from, to) of minutes to sum. */
export const AnalyticsSummaryQuery = Type.Object(
  {
    from: Type.Optional(
      Instant("Start of the window (inclusive, truncated to the minute); absent = since the first event"),
    ),
    to: Type.Optional(Instant("End of the window (exclusive); absent = up to the latest event")),
  },
  { additionalProperties: false },
);

/** GET /v1/admin/analytics/timeseries query. */
export const AnalyticsTimeseriesQuery = Type.Object(
  {
    from: Type.Optional(Instant("Start (inclusive, truncated to the minute); absent = 60 minutes before `to`")),
    to: Type.Optional(Instant("End (exclusive); absent = now. At most 1440 minutes after `from`")),
    currency: Type.Optional(CurrencyFilter),
  },
  { additionalProperties: false },
);

/** GET /v1/admin/analytics/top-products query. */
export const TopProductsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "How many (1..100, default 10)" })),
    currency: Type.Optional(CurrencyFilter),
    by: Type.Optional(
      Type.Enum(["units", "revenue"], {
        description: "Rank by units sold (default) or revenue (revenue needs `currency`)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** GET /v1/admin/analytics/event-lag query. */
export const EventLagQuery = Type.Object(
  {
    last: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: "How many of the most recent live order confirmations to measure (default 1000)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Payments of one currency that reached one state. */
export const PaymentTotalDto = Type.Object({
  kind: Type.Enum(["authorized", "captured", "voided", "refunded", "failed"]),
  count: Type.Integer(),
  amount: MoneyDto,
});

/** The orders and money of one currency over the window. */
export const CurrencySummaryDto = Type.Object({
  currency: Type.String(),
  ordersPlaced: Type.Integer({ description: "Checkouts started" }),
  ordersConfirmed: Type.Integer({ description: "Orders confirmed (refunded ones included)" }),
  ordersCancelled: Type.Integer({ description: "Checkouts that ended cancelled" }),
  ordersRefunded: Type.Integer({ description: "Confirmed orders refunded after a customer cancellation" }),
  /** Gross revenue of the confirmed orders. */
  revenue: MoneyDto,
  /** Total of the refunded orders. */
  refunds: MoneyDto,
  /** revenue − refunds. */
  netRevenue: MoneyDto,
  conversion: Type.Number({
    minimum: 0,
    maximum: 1,
    description: "ordersConfirmed / (ordersConfirmed + ordersCancelled); 0 when both are 0",
  }),
  payments: Type.Array(PaymentTotalDto),
});

/** 200 answer of GET /v1/admin/analytics/summary. */
export const AnalyticsSummaryDto = Type.Object({
  currencies: Type.Array(CurrencySummaryDto, { description: "One entry per currency, by code" }),
  eventsProcessed: Type.Integer({ description: "Events applied in the current consumer generation" }),
  consumerGroup: Type.String({ description: "The consumer group analytics reads with (changes with a rebuild)" }),
});

/** One minute of one currency. */
export const MinuteBucketDto = Type.Object({
  minute: Type.String({ format: "date-time", description: "Start of the minute (UTC)" }),
  currency: Type.String(),
  ordersPlaced: Type.Integer(),
  ordersConfirmed: Type.Integer(),
  ordersCancelled: Type.Integer(),
  ordersRefunded: Type.Integer(),
  revenue: MoneyDto,
  refunds: MoneyDto,
});

/** 200 answer of GET /v1/admin/analytics/timeseries: every minute of the window, zeros included. */
export const AnalyticsTimeseriesDto = Type.Object({
  buckets: Type.Array(MinuteBucketDto, { description: "By minute, then currency" }),
});

/** Sales of one product in one currency (confirmed orders). */
export const ProductSalesDto = Type.Object({
  productId: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  units: Type.Integer(),
  revenue: MoneyDto,
});

/** 200 answer of GET /v1/admin/analytics/top-products. */
export const TopProductsDto = Type.Object({ items: Type.Array(ProductSalesDto) });

/** 200 answer of GET /v1/admin/analytics/cancellation-reasons. */
export const CancellationReasonsDto = Type.Object({
  items: Type.Array(
    Type.Object({
      reason: Type.String({ description: "e.g. card_declined, insufficient_stock" }),
      count: Type.Integer(),
    }),
    { description: "Most frequent first" },
  ),
});

/** 200 answer of GET /v1/admin/analytics/event-lag: order confirmed → analytics updated. */
export const EventLagDto = Type.Object({
  count: Type.Integer({ description: "Events measured (0: none applied live yet, and the figures are 0)" }),
  p50Ms: Type.Number({ description: "Median lag, milliseconds" }),
  p99Ms: Type.Number({ description: "99th percentile, milliseconds" }),
  maxMs: Type.Number({ description: "Largest lag, milliseconds" }),
});

/** 202 answer of POST /v1/admin/analytics/rebuild. */
export const RebuildDto = Type.Object({
  consumerGroup: Type.String({ description: "The new consumer group, replaying every topic from the beginning" }),
  startedAt: Type.String({ format: "date-time" }),
});
