import type { Client } from "@connectrpc/connect";
import type { CatalogService } from "@souk/contracts/catalog";
import { fromConnectError, moneyFromProto } from "@souk/platform";
import type { Product } from "../domain/cart.ts";
import type { ProductCatalog } from "../domain/ports.ts";

/** Ids per BatchGetProducts call: below the catalog's limit per call (200, CATALOG_TOO_MANY_IDS). */
const IDS_PER_CALL = 100;

/**
 * The catalog port over the catalog service's client (`BatchGetProducts`; one call per 100
 * distinct ids, so one call for any cart within the default limits). Errors of the call come
 * back as the catalog's SoukError (its kind and stable code kept, e.g. `unavailable` when it
 * cannot be reached).
 * @throws RangeError when the catalog sends a product without a price (a catalog bug).
 */
export function catalogProducts(client: Client<typeof CatalogService>): ProductCatalog {
  const batch = async (ids: string[]): Promise<Product[]> => {
    const response = await client.batchGetProducts({ ids }).catch((error: unknown) => {
      throw fromConnectError(error);
    });
    return response.products.map((p): Product => ({
      id: p.id,
      sku: p.sku,
      name: p.name,
      price: moneyFromProto(p.price),
    }));
  };
  return {
    async getProducts(ids) {
      const distinct = [...new Set(ids)];
      const batches: Promise<Product[]>[] = [];
      for (let i = 0; i < distinct.length; i += IDS_PER_CALL) batches.push(batch(distinct.slice(i, i + IDS_PER_CALL)));
      return (await Promise.all(batches)).flat();
    },
  };
}
