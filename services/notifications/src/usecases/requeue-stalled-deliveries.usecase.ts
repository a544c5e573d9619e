import type { Clock } from "@souk/platform";
import type { NotificationStore } from "../domain/ports.ts";

/** Deliveries requeued per call at most. */
const BATCH = 500;

/**
 * Writes a new job for every pending delivery idle for longer than `idleMs` — longer than any
 * retry delay plus an attempt's lease, so only a delivery whose job was lost qualifies (an
 * in-memory job queue loses its jobs when the process stops; the outbox already counted them
 * sent). A job that was merely late is harmless: the delivery is attempted once and the
 * duplicate finds it sent. Then wakes the outbox relay. Resolves how many were requeued.
 */
export function requeueStalledDeliveries(deps: {
  store: NotificationStore;
  clock: Clock;
  idleMs: number;
  afterCommit: () => void;
}) {
  return async (): Promise<number> => {
    const now = deps.clock();
    let total = 0;
    for (;;) {
      const requeued = await deps.store.requeueStalled(now, new Date(now.getTime() - deps.idleMs), BATCH, {});
      total += requeued;
      if (requeued < BATCH) break;
    }
    if (total > 0) deps.afterCommit();
    return total;
  };
}
