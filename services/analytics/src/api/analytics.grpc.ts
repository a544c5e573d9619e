import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { RankBy, type AnalyticsService } from "@souk/contracts/analytics";
import { invalidArgument, moneyToProto } from "@souk/platform";
import type { AnalyticsUseCases } from "../index.ts";
import { conversionOf } from "../domain/report.ts";

const money = (amountMinor: number, currency: string) => moneyToProto({ amountMinor, currency });

/**
 * A request timestamp as a Date (undefined when absent).
 * @throws SoukError invalid_argument ANALYTICS_INVALID_TIMESTAMP for nanos outside 0..999999999 or
 *   an instant JavaScript cannot represent.
 */
function instant(field: string, value: Timestamp | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value.nanos >= 0 && value.nanos < 1e9 ? timestampDate(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw invalidArgument("ANALYTICS_INVALID_TIMESTAMP", `${field} is not a valid timestamp`, [
      { field, message: "is not a valid timestamp" },
    ]);
  }
  return date;
}

/**
 * The ranking of a GetTopProducts request (unspecified = units).
 * @throws SoukError invalid_argument ANALYTICS_INVALID_RANK_BY for a value this version does not know.
 */
function rankByOf(value: RankBy): "units" | "revenue" {
  if (value === RankBy.UNSPECIFIED || value === RankBy.UNITS) return "units";
  if (value === RankBy.REVENUE) return "revenue";
  throw invalidArgument("ANALYTICS_INVALID_RANK_BY", "rank_by must be UNITS or REVENUE", [
    { field: "rank_by", message: "must be RANK_BY_UNITS or RANK_BY_REVENUE" },
  ]);
}

/** gRPC handlers of souk.analytics.v1.AnalyticsService: decode, call one use case, encode. */
export function analyticsHandlers(uc: AnalyticsUseCases): ServiceImpl<typeof AnalyticsService> {
  return {
    async getSummary(req) {
      const summary = await uc.getSummary(instant("from", req.from), instant("to", req.to));
      return {
        currencies: summary.currencies.map((c) => ({
          currency: c.currency,
          ordersPlaced: BigInt(c.ordersPlaced),
          ordersConfirmed: BigInt(c.ordersConfirmed),
          ordersCancelled: BigInt(c.ordersCancelled),
          ordersRefunded: BigInt(c.ordersRefunded),
          revenue: money(c.revenueMinor, c.currency),
          refunds: money(c.refundsMinor, c.currency),
          netRevenue: money(c.revenueMinor - c.refundsMinor, c.currency),
          conversion: conversionOf(c),
          payments: c.payments.map((p) => ({
            kind: p.kind,
            count: BigInt(p.count),
            amount: money(p.amountMinor, c.currency),
          })),
        })),
        eventsProcessed: BigInt(summary.eventsProcessed),
        consumerGroup: summary.consumerGroup,
      };
    },
    async getTimeseries(req) {
      const buckets = await uc.getTimeseries(instant("from", req.from), instant("to", req.to), req.currency);
      return {
        buckets: buckets.map((b) => ({
          minute: timestampFromDate(b.minute),
          currency: b.currency,
          ordersPlaced: BigInt(b.ordersPlaced),
          ordersConfirmed: BigInt(b.ordersConfirmed),
          ordersCancelled: BigInt(b.ordersCancelled),
          ordersRefunded: BigInt(b.ordersRefunded),
          revenue: money(b.revenueMinor, b.currency),
          refunds: money(b.refundsMinor, b.currency),
        })),
      };
    },
    async getTopProducts(req) {
      const products = await uc.getTopProducts(req.limit, req.currency, rankByOf(req.rankBy));
      return {
        products: products.map((p) => ({
          productId: p.productId,
          sku: p.sku,
          name: p.name,
          units: BigInt(p.units),
          revenue: money(p.revenueMinor, p.currency),
        })),
      };
    },
    async getCancellationReasons() {
      const reasons = await uc.getCancellationReasons();
      return { reasons: reasons.map((r) => ({ reason: r.reason, count: BigInt(r.count) })) };
    },
    async getEventLag(req) {
      const lag = await uc.getEventLag(req.last);
      return { count: BigInt(lag.count), p50Ms: lag.p50Ms, p99Ms: lag.p99Ms, maxMs: lag.maxMs };
    },
    async rebuildAggregates() {
      const state = await uc.rebuildAggregates();
      return { consumerGroup: state.consumerGroup, startedAt: timestampFromDate(state.startedAt) };
    },
  };
}
