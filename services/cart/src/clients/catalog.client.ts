import type { Client } from "@connectrpc/connect";
import type { CatalogService } from "@souk/contracts/catalog";
import { fromConnectError, moneyFromProto, perTurnLoader } from "@souk/platform";
import type { Product } from "../domain/cart.ts";
import type { ProductCatalog } from "../domain/ports.ts";

/** Ids per BatchGetProducts call: below the catalog's limit per call (200, CATALOG_TOO_MANY_IDS). */
const IDS_PER_CALL = 100;

/**
 * The catalog port over the catalog service's client (`BatchGetProducts`). The ids asked by every
 * cart change handled in one turn of the event loop go out as one call (`perTurnLoader`; 100 ids
 * per call at most), so concurrent changes of many carts share a round trip; nothing is kept, so
 * each change sees the catalog's current products. Errors of the call come back as the catalog's
 * SoukError (its kind and stable code kept, e.g. `unavailable` when it cannot be reached), to
 * every change that shared it.
 * @throws RangeError when the catalog sends a product without a price (a catalog bug).
 */
export function catalogProducts(client: Client<typeof CatalogService>): ProductCatalog {
  const load = perTurnLoader<string, Product | undefined>(async (ids) => {
    const response = await client.batchGetProducts({ ids: [...new Set(ids)] }).catch((error: unknown) => {
      throw fromConnectError(error);
    });
    // Catalog answers with its canonical (lower-case) ids; an unknown id is left out.
    const byId = new Map(
      response.products.map((p): [string, Product] => [
        p.id,
        { id: p.id, sku: p.sku, name: p.name, price: moneyFromProto(p.price) },
      ]),
    );
    return ids.map((id) => byId.get(id.toLowerCase()));
  }, IDS_PER_CALL);
  return {
    async getProducts(ids) {
      const found = await Promise.all([...new Set(ids)].map(load));
      return found.filter((product) => product !== undefined);
    },
  };
}
