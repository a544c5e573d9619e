import type { AnalyticsStore } from "../domain/ports.ts";
import { summaryWindow, type Summary } from "../domain/report.ts";

/**
 * Per-currency totals of the minutes in [from, to) (`from` undefined = since the first event,
 * `to` undefined = up to the last), with how many events the current generation applied and its group.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_RANGE when `from` is after `to`.
 */
export function getSummary(store: AnalyticsStore) {
  return async (from?: Date, to?: Date): Promise<Summary> => {
    const window = summaryWindow(from, to);
    const [currencies, eventsProcessed, state] = [
      await store.totals(window),
      await store.eventsProcessed(),
      await store.consumerState(),
    ];
    return { currencies, eventsProcessed, consumerGroup: state?.consumerGroup ?? "" };
  };
}
