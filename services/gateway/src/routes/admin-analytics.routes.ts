import type { Client } from "@connectrpc/connect";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Static } from "typebox";
import { RankBy, type AnalyticsService, type CurrencySummary, type MinuteBucket } from "@souk/contracts/analytics";
import { int64ToNumber, invalidArgument, type HttpServer } from "@souk/platform";
import type { AdminAuth } from "../admin.ts";
import { present, toMoneyDto } from "../mapping/common.mapping.ts";
import {
  AnalyticsSummaryDto,
  AnalyticsSummaryQuery,
  AnalyticsTimeseriesDto,
  AnalyticsTimeseriesQuery,
  CancellationReasonsDto,
  EventLagDto,
  EventLagQuery,
  RebuildDto,
  TopProductsDto,
  TopProductsQuery,
  type CurrencySummaryDto,
  type MinuteBucketDto,
  type PaymentTotalDto,
} from "../schemas/analytics.schemas.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import { ADMIN_PROBLEMS, ADMIN_SECURITY } from "../schemas/notifications.schemas.ts";

type PaymentKind = Static<typeof PaymentTotalDto>["kind"];
const PAYMENT_KINDS: readonly string[] = ["authorized", "captured", "voided", "refunded", "failed"];
const isPaymentKind = (kind: string): kind is PaymentKind => PAYMENT_KINDS.includes(kind);

/**
 * A query-string instant (already checked as an RFC 3339 date-time by the schema) as a protobuf
 * Timestamp; undefined when absent.
 * @throws SoukError invalid_argument VALIDATION_FAILED naming `querystring.<field>` for a
 *   date-time JavaScript cannot represent (a leap second, a year past 275760).
 */
function instant(field: string, value: string | undefined): Timestamp | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value.replace(/\[.*\]$/, ""));
  if (Number.isNaN(date.getTime())) {
    throw invalidArgument("VALIDATION_FAILED", "the request is invalid", [
      { field: `querystring.${field}`, message: "must be an RFC 3339 date-time such as 2026-01-01T10:00:00Z" },
    ]);
  }
  return timestampFromDate(date);
}

const iso = (timestamp: Timestamp | undefined, what: string) => timestampDate(present(timestamp, what)).toISOString();

/** A payment kind from analytics; an Error (a 500, logged) for one this gateway does not know. */
function toPaymentKind(kind: string): PaymentKind {
  if (!isPaymentKind(kind)) throw new Error(`unknown payment kind "${kind}" from analytics`);
  return kind;
}

function toCurrencySummaryDto(c: CurrencySummary): Static<typeof CurrencySummaryDto> {
  return {
    currency: c.currency,
    ordersPlaced: int64ToNumber(c.ordersPlaced),
    ordersConfirmed: int64ToNumber(c.ordersConfirmed),
    ordersCancelled: int64ToNumber(c.ordersCancelled),
    ordersRefunded: int64ToNumber(c.ordersRefunded),
    revenue: toMoneyDto(c.revenue),
    refunds: toMoneyDto(c.refunds),
    netRevenue: toMoneyDto(c.netRevenue),
    conversion: c.conversion,
    payments: c.payments.map((p) => ({
      kind: toPaymentKind(p.kind),
      count: int64ToNumber(p.count),
      amount: toMoneyDto(p.amount),
    })),
  };
}

function toMinuteBucketDto(b: MinuteBucket): Static<typeof MinuteBucketDto> {
  return {
    minute: iso(b.minute, "minute"),
    currency: b.currency,
    ordersPlaced: int64ToNumber(b.ordersPlaced),
    ordersConfirmed: int64ToNumber(b.ordersConfirmed),
    ordersCancelled: int64ToNumber(b.ordersCancelled),
    ordersRefunded: int64ToNumber(b.ordersRefunded),
    revenue: toMoneyDto(b.revenue),
    refunds: toMoneyDto(b.refunds),
  };
}

/**
 * The operators' analytics API (`Authorization: Bearer <GATEWAY_ADMIN_TOKEN>`), over
 * AnalyticsService: GET /v1/admin/analytics/summary, /timeseries, /top-products,
 * /cancellation-reasons and /event-lag, and POST /v1/admin/analytics/rebuild (replays every topic
 * into fresh aggregates). Query strings are validated by schema (400 problem+json naming
 * `querystring.<field>`: malformed instants, limits out of range, unknown parameters); a window whose
 * `from` is after its `to` is analytics' 400 ANALYTICS_INVALID_RANGE.
 */
export function adminAnalyticsRoutes(
  app: HttpServer,
  deps: { analytics: Client<typeof AnalyticsService>; admin: AdminAuth },
): void {
  const { analytics, admin } = deps;
  const guarded = { onRequest: admin.requireAdmin };
  const problems = { ...problemResponses(401), ...ADMIN_PROBLEMS };

  app.get(
    "/v1/admin/analytics/summary",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "getAnalyticsSummary",
        summary: "Orders, revenue, refunds, conversion and payments per currency over a window of minutes",
        description:
          "An order counts as placed, confirmed (with its total as revenue), cancelled or refunded (its " +
          "total as refunds) in the minute each happened; a refunded order stays counted as confirmed.",
        security: ADMIN_SECURITY,
        querystring: AnalyticsSummaryQuery,
        response: { 200: jsonResponse("Per-currency totals", AnalyticsSummaryDto), ...problems },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const summary = await analytics.getSummary({ from: instant("from", from), to: instant("to", to) });
      return {
        currencies: summary.currencies.map(toCurrencySummaryDto),
        eventsProcessed: int64ToNumber(summary.eventsProcessed),
        consumerGroup: summary.consumerGroup,
      };
    },
  );

  app.get(
    "/v1/admin/analytics/timeseries",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "getAnalyticsTimeseries",
        summary: "Orders and revenue per minute and currency (every minute of the window, at most 1440)",
        security: ADMIN_SECURITY,
        querystring: AnalyticsTimeseriesQuery,
        response: { 200: jsonResponse("Minute buckets", AnalyticsTimeseriesDto), ...problems },
      },
    },
    async (request) => {
      const { from, to, currency } = request.query;
      const { buckets } = await analytics.getTimeseries({
        from: instant("from", from),
        to: instant("to", to),
        currency: currency ?? "",
      });
      return { buckets: buckets.map(toMinuteBucketDto) };
    },
  );

  app.get(
    "/v1/admin/analytics/top-products",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "getTopProducts",
        summary: "Best sellers of confirmed orders, by units or revenue, one row per product and currency",
        security: ADMIN_SECURITY,
        querystring: TopProductsQuery,
        response: { 200: jsonResponse("Best sellers", TopProductsDto), ...problems },
      },
    },
    async (request) => {
      const { limit, currency, by } = request.query;
      const { products } = await analytics.getTopProducts({
        limit: limit ?? 0,
        currency: currency ?? "",
        rankBy: by === "revenue" ? RankBy.REVENUE : RankBy.UNITS,
      });
      return {
        items: products.map((p) => ({
          productId: p.productId,
          sku: p.sku,
          name: p.name,
          units: int64ToNumber(p.units),
          revenue: toMoneyDto(p.revenue),
        })),
      };
    },
  );

  app.get(
    "/v1/admin/analytics/cancellation-reasons",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "getCancellationReasons",
        summary: "How many checkouts were cancelled for each reason, most frequent first",
        security: ADMIN_SECURITY,
        response: { 200: jsonResponse("Cancellation reasons", CancellationReasonsDto), ...problems },
      },
    },
    async () => {
      const { reasons } = await analytics.getCancellationReasons({});
      return { items: reasons.map((r) => ({ reason: r.reason, count: int64ToNumber(r.count) })) };
    },
  );

  app.get(
    "/v1/admin/analytics/event-lag",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "getEventLag",
        summary: "End-to-end latency, order confirmed → analytics updated: p50, p99 and max",
        security: ADMIN_SECURITY,
        querystring: EventLagQuery,
        response: { 200: jsonResponse("Latency of recent live confirmations", EventLagDto), ...problems },
      },
    },
    async (request) => {
      const lag = await analytics.getEventLag({ last: request.query.last ?? 0 });
      return { count: int64ToNumber(lag.count), p50Ms: lag.p50Ms, p99Ms: lag.p99Ms, maxMs: lag.maxMs };
    },
  );

  app.post(
    "/v1/admin/analytics/rebuild",
    {
      ...guarded,
      schema: {
        tags: ["admin"],
        operationId: "rebuildAnalytics",
        summary: "Wipe the aggregates and replay every topic from the beginning under a new consumer group",
        description:
          "Answers 202 once the replay has started; the aggregates refill as it runs (watch " +
          "`eventsProcessed` of the summary). The rebuilt aggregates equal the incremental ones. 409 " +
          "ANALYTICS_REBUILD_DISABLED when the event log does not keep every event (the embedded in-memory log).",
        security: ADMIN_SECURITY,
        response: {
          202: jsonResponse("The replay started", RebuildDto),
          ...problemResponses(401, 409),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async (_request, reply) => {
      const rebuilt = await analytics.rebuildAggregates({});
      return reply
        .code(202)
        .send({ consumerGroup: rebuilt.consumerGroup, startedAt: iso(rebuilt.startedAt, "startedAt") });
    },
  );
}
