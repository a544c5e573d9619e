import type { Clock } from "@souk/platform";
import type { OrderStore } from "../domain/ports.ts";
import type { advanceSaga } from "./advance-saga.usecase.ts";

/**
 * The recovery loop's body: finds sagas with work due (left by a crash, a restart or a
 * backoff) and advances each. Returns how many it picked up. Sagas leased by another live
 * runner are skipped by the lease.
 */
export function resumeSagas(store: OrderStore, advance: ReturnType<typeof advanceSaga>, clock: Clock) {
  return async (batchSize = 20): Promise<number> => {
    const due = await store.findRunnable(clock(), batchSize);
    for (const orderId of due) await advance(orderId);
    return due.length;
  };
}
