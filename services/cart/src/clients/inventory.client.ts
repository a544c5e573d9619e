import type { Client } from "@connectrpc/connect";
import type { InventoryService } from "@souk/contracts/inventory";
import { fromConnectError, int64ToNumber } from "@souk/platform";
import type { StockAvailability } from "../domain/ports.ts";

/**
 * The stock port over the inventory service's client (`GetAvailability`: on hand − reserved).
 * Errors of the call come back as inventory's SoukError (its kind and stable code kept).
 */
export function inventoryAvailability(client: Client<typeof InventoryService>): StockAvailability {
  return {
    async available(skus) {
      if (skus.length === 0) return new Map();
      const response = await client.getAvailability({ skus: [...new Set(skus)] }).catch((error: unknown) => {
        throw fromConnectError(error);
      });
      return new Map(response.levels.map((level) => [level.sku, int64ToNumber(level.available)]));
    },
  };
}
