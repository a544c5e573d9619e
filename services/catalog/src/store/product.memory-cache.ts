import type { Clock } from "@souk/platform";
import type { CacheGeneration, ProductCache } from "../domain/product-cache.ts";
import type { CategorySummary, Product } from "../domain/product.ts";

/** Settings of the in-process product cache. */
export interface MemoryProductCacheOptions {
  /** Most products held (`CATALOG_CACHE_MAX_ENTRIES`); the least recently used go first. */
  readonly maxEntries: number;
  /** How long an entry may be served, in seconds (`CATALOG_CACHE_TTL_SECONDS`). */
  readonly ttlSeconds: number;
  /** Source of "now" for expiry (injected so tests can move time). */
  readonly clock: Clock;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/**
 * The product cache in this process's memory: the embedded topology's twin of the Redis cache.
 * A `Map` kept in least-recently-used order (a hit moves its entry to the end; a fill beyond
 * `maxEntries` evicts from the front), each entry expiring `ttlSeconds` after its fill, plus
 * one slot for the category list. Invalidation bumps a generation counter, so a fill from a
 * lookup made before it is dropped.
 *
 * Every process has its own copy: when several processes serve one database without Redis, an
 * update invalidates only the process that made it, and the others may serve the old product
 * for up to the TTL.
 */
export function createMemoryProductCache(options: MemoryProductCacheOptions): ProductCache {
  const ttlMs = options.ttlSeconds * 1000;
  const products = new Map<string, Entry<Product>>();
  let categories: Entry<readonly CategorySummary[]> | undefined;
  let generation = 0;

  const nowMs = () => options.clock().getTime();
  const isCurrent = (token: CacheGeneration) => token === String(generation);

  return {
    async getProducts(ids) {
      const hits = new Map<string, Product>();
      const now = nowMs();
      for (const id of ids) {
        const entry = products.get(id);
        if (entry === undefined) continue;
        products.delete(id);
        if (entry.expiresAtMs <= now) continue;
        products.set(id, entry);
        hits.set(id, entry.value);
      }
      return { hits, generation: String(generation) };
    },

    async putProducts(fresh, token) {
      if (!isCurrent(token)) return;
      const expiresAtMs = nowMs() + ttlMs;
      for (const product of fresh) {
        products.delete(product.id);
        products.set(product.id, { value: product, expiresAtMs });
      }
      for (const oldest of products.keys()) {
        if (products.size <= options.maxEntries) break;
        products.delete(oldest);
      }
    },

    async getCategories() {
      const current = categories !== undefined && categories.expiresAtMs > nowMs() ? categories.value : undefined;
      return { categories: current, generation: String(generation) };
    },

    async putCategories(fresh, token) {
      if (isCurrent(token)) categories = { value: fresh, expiresAtMs: nowMs() + ttlMs };
    },

    async invalidate(ids) {
      generation += 1;
      for (const id of ids) products.delete(id);
      categories = undefined;
    },
  };
}
