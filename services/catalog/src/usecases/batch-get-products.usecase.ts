import { invalidArgument, isUuid } from "@souk/platform";
import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import type { Product } from "../domain/product.ts";
import { cachedProducts } from "./cached-products.ts";

/** Most ids one BatchGetProducts call may ask for (bounds the query and the response). */
export const MAX_BATCH_IDS = 200;

/**
 * The products that exist among `ids`, in no particular order, each once, from the product
 * cache where it holds them and the database for the rest (cache-aside, see `cachedProducts`).
 * Ids that are not UUIDs are ignored (they can name nothing), duplicates are collapsed.
 * @throws SoukError invalid_argument CATALOG_TOO_MANY_IDS (field `ids`) beyond 200 ids.
 */
export function batchGetProducts(store: CatalogStore, cache: ProductCache) {
  const read = cachedProducts(store, cache);
  return async (ids: readonly string[]): Promise<Product[]> => {
    if (ids.length > MAX_BATCH_IDS) {
      throw invalidArgument("CATALOG_TOO_MANY_IDS", `at most ${MAX_BATCH_IDS} ids per call`, [
        { field: "ids", message: `must hold at most ${MAX_BATCH_IDS} ids` },
      ]);
    }
    return read([...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))]);
  };
}
