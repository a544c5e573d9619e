import type { InventoryStore } from "../domain/reservation.ts";

/**
 * Gives the held stock of `orderId` back (saga compensation). Idempotent: a no-op when there
 * is no reservation or it is not held any more.
 */
export function releaseReservation(store: InventoryStore) {
  return async (orderId: string): Promise<void> => {
    await store.transition(orderId, "HELD", "RELEASED");
  };
}
