import { invalidArgument, isUuid } from "@souk/platform";
import type { CatalogStore } from "../domain/catalog-store.ts";
import type { Product } from "../domain/product.ts";

/** Most ids one BatchGetProducts call may ask for (bounds the query and the response). */
export const MAX_BATCH_IDS = 200;

/**
 * The products that exist among `ids`, in no particular order, each once. Ids that are not
 * UUIDs are ignored (they can name nothing), duplicates are collapsed.
 * @throws SoukError invalid_argument CATALOG_TOO_MANY_IDS (field `ids`) beyond 200 ids.
 */
export function batchGetProducts(store: CatalogStore) {
  return async (ids: readonly string[]): Promise<Product[]> => {
    if (ids.length > MAX_BATCH_IDS) {
      throw invalidArgument("CATALOG_TOO_MANY_IDS", `at most ${MAX_BATCH_IDS} ids per call`, [
        { field: "ids", message: `must hold at most ${MAX_BATCH_IDS} ids` },
      ]);
    }
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    return store.findByIds(wanted);
  };
}
