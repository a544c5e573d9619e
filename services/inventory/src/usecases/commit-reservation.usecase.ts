import { notFound, type Clock } from "@souk/platform";
import { decideCommit, type InventoryStore, type Reservation } from "../domain/reservation.ts";

/**
 * Turns the held reservation of `orderId` into a sale. Idempotent.
 * @throws SoukError not_found INVENTORY_RESERVATION_NOT_FOUND; failed_precondition INVENTORY_RESERVATION_EXPIRED.
 */
export function commitReservation(store: InventoryStore, clock: Clock) {
  return async (orderId: string): Promise<Reservation> => {
    const reservation = await store.find(orderId);
    if (reservation === undefined)
      throw notFound("INVENTORY_RESERVATION_NOT_FOUND", `no reservation for order ${orderId}`);
    if (decideCommit(reservation, clock()) === "noop") return reservation;
    const committed = await store.transition(orderId, "HELD", "COMMITTED");
    // Lost a race with the sweeper or a release: decide again on the fresh state.
    return committed ?? commitReservation(store, clock)(orderId);
  };
}
