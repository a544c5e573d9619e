import type { AnalyticsStore } from "../domain/ports.ts";
import type { ReasonCount } from "../domain/report.ts";

/** How many checkouts were cancelled for each reason, most frequent first, then by reason. */
export function getCancellationReasons(store: AnalyticsStore) {
  return async (): Promise<ReasonCount[]> => store.cancellationReasons();
}
