import type { Clock } from "@souk/platform";
import {
  DEFAULT_RESERVATION_TTL_MS,
  normalizeLines,
  type InventoryStore,
  type Reservation,
  type ReservationLine,
} from "../domain/reservation.ts";

/**
 * Holds every line for `orderId` atomically (all or none) until `now + ttlMs`.
 * Idempotent: a second call for the same order returns the first reservation.
 * @throws SoukError invalid_argument for bad lines; failed_precondition INVENTORY_INSUFFICIENT_STOCK.
 */
export function reserveStock(store: InventoryStore, clock: Clock) {
  return async (
    orderId: string,
    lines: readonly ReservationLine[],
    ttlMs = DEFAULT_RESERVATION_TTL_MS,
  ): Promise<Reservation> => {
    const normalized = normalizeLines(lines);
    const expiresAt = new Date(clock().getTime() + (ttlMs > 0 ? ttlMs : DEFAULT_RESERVATION_TTL_MS));
    return store.reserve(orderId, normalized, expiresAt);
  };
}
