import type { Client } from "@connectrpc/connect";
import type { InventoryService } from "@souk/contracts/inventory";
import { fromConnectError, int64ToNumber, perTurnLoader } from "@souk/platform";
import type { StockAvailability } from "../domain/ports.ts";

/** SKUs per GetAvailability call at most (inventory sets no limit; this bounds one message). */
const SKUS_PER_CALL = 500;

/**
 * The stock port over the inventory service's client (`GetAvailability`: on hand − reserved).
 * The SKUs asked by every cart change handled in one turn of the event loop go out as one call
 * (`perTurnLoader`); nothing is kept, so each change sees stock as inventory tells it then.
 * Errors of the call come back as inventory's SoukError (its kind and stable code kept), to
 * every change that shared it.
 */
export function inventoryAvailability(client: Client<typeof InventoryService>): StockAvailability {
  const load = perTurnLoader<string, number | undefined>(async (skus) => {
    const response = await client.getAvailability({ skus: [...new Set(skus)] }).catch((error: unknown) => {
      throw fromConnectError(error);
    });
    const available = new Map(response.levels.map((level) => [level.sku, int64ToNumber(level.available)]));
    return skus.map((sku) => available.get(sku));
  }, SKUS_PER_CALL);
  return {
    async available(skus) {
      const distinct = [...new Set(skus)];
      const units = await Promise.all(distinct.map(load));
      const known = new Map<string, number>();
      distinct.forEach((sku, i) => {
        if (units[i] !== undefined) known.set(sku, units[i]);
      });
      return known;
    },
  };
}
