import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import type { Product } from "../domain/product.ts";

/**
 * Cache-aside read of products by id (distinct lower-case UUIDs), shared by GetProduct and
 * BatchGetProducts: the cache first, then one database query for the misses, which are cached
 * with the lookup's generation (so a fill racing an update is dropped, see `ProductCache`).
 * A cache that cannot answer only makes every id a miss.
 * @returns the products that exist among `ids`, in no particular order.
 */
export function cachedProducts(store: CatalogStore, cache: ProductCache) {
  return async (ids: readonly string[]): Promise<Product[]> => {
    if (ids.length === 0) return [];
    const { hits, generation } = await cache.getProducts(ids);
    const misses = ids.filter((id) => !hits.has(id));
    if (misses.length === 0) return [...hits.values()];
    const loaded = await store.findByIds(misses);
    await cache.putProducts(loaded, generation);
    return [...hits.values(), ...loaded];
  };
}
