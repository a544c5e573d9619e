import type { Client } from "@connectrpc/connect";
import type { InventoryService } from "@souk/contracts/inventory";
import type { StockPort } from "../domain/ports.ts";
import { outcomeOf } from "./step-outcome.ts";

/** The saga's StockPort over inventory's Connect client. */
export function inventoryStockPort(inventory: Client<typeof InventoryService>): StockPort {
  return {
    reserve: (order, ttlMs) =>
      outcomeOf(() =>
        inventory.reserveStock({
          orderId: order.id,
          ttlMs: BigInt(ttlMs),
          lines: order.lines.map((l) => ({ sku: l.sku, quantity: BigInt(l.quantity) })),
        }),
      ),
    commit: (orderId) => outcomeOf(() => inventory.commitReservation({ orderId })),
    release: (orderId) => outcomeOf(() => inventory.releaseReservation({ orderId })),
    restock: (orderId) => outcomeOf(() => inventory.restockReservation({ orderId })),
  };
}
