import type { CatalogStore } from "../domain/catalog-store.ts";
import type { CategorySummary } from "../domain/product.ts";

/** Every category with its display name and product count (0 for an empty one), sorted by name. */
export function listCategories(store: CatalogStore) {
  return (): Promise<CategorySummary[]> => store.listCategories();
}
