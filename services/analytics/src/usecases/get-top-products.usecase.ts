import type { AnalyticsStore } from "../domain/ports.ts";
import { topProductsQuery, type ProductSales, type RankBy } from "../domain/report.ts";

/**
 * The best sellers of confirmed orders, one row per product and currency, by units or revenue.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_LIMIT (outside 0..100, 0 = 10),
 *   ANALYTICS_INVALID_CURRENCY, ANALYTICS_CURRENCY_REQUIRED (revenue without a currency).
 */
export function getTopProducts(store: AnalyticsStore) {
  return async (limit: number, currency: string, rankBy: RankBy): Promise<ProductSales[]> =>
    store.topProducts(topProductsQuery(limit, currency, rankBy));
}
