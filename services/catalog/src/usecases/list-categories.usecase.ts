import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import type { CategorySummary } from "../domain/product.ts";

/**
 * Every category with its display name and product count (0 for an empty one), sorted by name;
 * from the product cache when it holds the list, else from the database (then cached).
 */
export function listCategories(store: CatalogStore, cache: ProductCache) {
  return async (): Promise<readonly CategorySummary[]> => {
    const cached = await cache.getCategories();
    if (cached.categories !== undefined) return cached.categories;
    const categories = await store.listCategories();
    await cache.putCategories(categories, cached.generation);
    return categories;
  };
}
