import type { InventoryStore } from "../domain/reservation.ts";

/**
 * Puts the sold units of a committed reservation back on hand (a refunded order).
 * Idempotent: a no-op unless the reservation is COMMITTED.
 */
export function restockReservation(store: InventoryStore) {
  return async (orderId: string): Promise<void> => {
    await store.transition(orderId, "COMMITTED", "RESTOCKED");
  };
}
