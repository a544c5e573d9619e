import type { AnalyticsStore } from "../domain/ports.ts";
import { lagSamples, type EventLag } from "../domain/report.ts";

/**
 * End-to-end latency (order confirmed → analytics updated) over the `last` most recently applied
 * live order-confirmed events (0 = 1000): p50 and p99 (interpolated, PostgreSQL
 * `percentile_cont`) and max, in milliseconds. Replayed events are not measured.
 * @throws SoukError invalid_argument ANALYTICS_INVALID_LIMIT outside 0..100000.
 */
export function getEventLag(store: AnalyticsStore) {
  return async (last: number): Promise<EventLag> => store.eventLag(lagSamples(last));
}
