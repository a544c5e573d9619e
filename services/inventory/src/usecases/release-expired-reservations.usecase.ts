import type { Clock } from "@souk/platform";
import type { InventoryStore } from "../domain/reservation.ts";

/**
 * The sweeper: releases up to `batchSize` held reservations that outlived their expiry.
 * Returns how many it released. Safe to run concurrently with commits (each move is a
 * compare-and-set on the reservation's status).
 */
export function releaseExpiredReservations(store: InventoryStore, clock: Clock) {
  return async (batchSize = 100): Promise<number> => {
    const expired = await store.findExpired(clock(), batchSize);
    let released = 0;
    for (const orderId of expired) {
      if ((await store.transition(orderId, "HELD", "RELEASED")) !== undefined) released += 1;
    }
    return released;
  };
}
