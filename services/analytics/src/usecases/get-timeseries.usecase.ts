import type { Clock } from "@souk/platform";
import type { BucketDelta } from "../domain/aggregates.ts";
import type { AnalyticsStore } from "../domain/ports.ts";
import { currencyFilter, denseSeries, timeseriesWindow } from "../domain/report.ts";

/**
 * One bucket per minute and currency of [from, to) — zeros included — ordered by minute then
 * currency; `from` defaults to 60 minutes before `to`, `to` to now; `currency` "" = every currency
 * with activity in the window.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_RANGE (from after to, or more than 1440
 *   minutes), ANALYTICS_INVALID_CURRENCY.
 */
export function getTimeseries(store: AnalyticsStore, clock: Clock) {
  return async (from: Date | undefined, to: Date | undefined, currency: string): Promise<BucketDelta[]> => {
    const window = timeseriesWindow(from, to, clock());
    const filter = currencyFilter(currency);
    const stored = await store.buckets(window, filter);
    return denseSeries(stored, window, filter === undefined ? undefined : [filter]);
  };
}
