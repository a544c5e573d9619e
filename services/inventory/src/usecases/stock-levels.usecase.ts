import { invalidArgument, type FieldViolation } from "@souk/platform";
import type { InventoryStore, StockLevel } from "../domain/reservation.ts";

/** Stock levels of the known SKUs among `skus` (unknown SKUs are left out). */
export function getStockLevels(store: InventoryStore) {
  return (skus: readonly string[]): Promise<StockLevel[]> => store.getLevels([...new Set(skus)]);
}

/**
 * Sets on-hand quantities (seeding and admin).
 * @throws SoukError invalid_argument INVENTORY_INVALID_STOCK for an empty SKU or a negative or fractional quantity.
 */
export function setStockLevels(store: InventoryStore) {
  return async (entries: readonly { sku: string; onHand: number }[]): Promise<void> => {
    const violations: FieldViolation[] = [];
    entries.forEach((e, i) => {
      if (e.sku.trim() === "") violations.push({ field: `entries[${i}].sku`, message: "must not be empty" });
      if (!Number.isSafeInteger(e.onHand) || e.onHand < 0) {
        violations.push({ field: `entries[${i}].on_hand`, message: "must be a non-negative integer" });
      }
    });
    if (violations.length > 0) throw invalidArgument("INVENTORY_INVALID_STOCK", "invalid stock levels", violations);
    await store.setOnHand(entries);
  };
}
