import type { Clock } from "@souk/platform";
import type { ProductPage } from "../domain/listing.ts";
import { NO_GENERATION, type CacheGeneration, type ProductCache } from "../domain/product-cache.ts";
import type { CategorySummary, Product } from "../domain/product.ts";

/** Settings of the in-process product cache. */
export interface MemoryProductCacheOptions {
  /** Most products held (`CATALOG_CACHE_MAX_ENTRIES`); the least recently used go first. */
  readonly maxEntries: number;
  /** How long an entry may be served, in seconds (`CATALOG_CACHE_TTL_SECONDS`). */
  readonly ttlSeconds: number;
  /** Most listing pages held (`CATALOG_LISTING_CACHE_MAX_ENTRIES`); the least recently used go first. */
  readonly listingMaxEntries: number;
  /**
   * How long a listing page may be served, in seconds (`CATALOG_LISTING_CACHE_TTL_SECONDS`);
   * 0 caches no listing.
   */
  readonly listingTtlSeconds: number;
  /** Source of "now" for expiry (injected so tests can move time). */
  readonly clock: Clock;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/** Looks `key` up in an LRU-ordered map: an expired entry is removed, a live one moved to the end. */
function recall<T>(entries: Map<string, Entry<T>>, key: string, nowMs: number): T | undefined {
  const entry = entries.get(key);
  if (entry === undefined) return undefined;
  entries.delete(key);
  if (entry.expiresAtMs <= nowMs) return undefined;
  entries.set(key, entry);
  return entry.value;
}

/**
 * Sets `key` as the most recently used entry, then drops from the least recently used end every
 * entry beyond `maxEntries` and every expired one until a live one: an entry read once and never
 * again (a client paging through every category) would otherwise stay, expired, until
 * `maxEntries` newer ones pushed it out — in the bench, the 5,000 products of the shop's
 * preparation pages, ~6 MB of the embedded store's heap at its peak.
 */
function remember<T>(
  entries: Map<string, Entry<T>>,
  key: string,
  entry: Entry<T>,
  maxEntries: number,
  nowMs: number,
): void {
  entries.delete(key);
  entries.set(key, entry);
  for (const [oldest, { expiresAtMs }] of entries) {
    if (entries.size <= maxEntries && expiresAtMs > nowMs) break;
    entries.delete(oldest);
  }
}

/**
 * The product cache in this process's memory: the embedded topology's twin of the Redis cache.
 * Two `Map`s kept in least-recently-used order (a hit moves its entry to the end; a fill evicts
 * from the front beyond the map's bound, and expired entries there): products (`maxEntries`,
 * each expiring `ttlSeconds` after its fill) and listing pages (`listingMaxEntries`,
 * `listingTtlSeconds`), plus one slot for the category list. Invalidation bumps a generation
 * counter, so a fill from a lookup made before it is dropped, and empties the listing map (any
 * page may have changed). Hits are the very objects filled (not copies): callers treat them as
 * read-only.
 *
 * Every process has its own copy: when several processes serve one database without Redis, an
 * update invalidates only the process that made it, and the others may serve the old product
 * or listing page for up to its TTL.
 */
export function createMemoryProductCache(options: MemoryProductCacheOptions): ProductCache {
  const ttlMs = options.ttlSeconds * 1000;
  const listingTtlMs = options.listingTtlSeconds * 1000;
  const products = new Map<string, Entry<Product>>();
  const listings = new Map<string, Entry<ProductPage>>();
  let categories: Entry<readonly CategorySummary[]> | undefined;
  let generation = 0;

  const nowMs = () => options.clock().getTime();
  const isCurrent = (token: CacheGeneration) => token === String(generation);

  return {
    async getProducts(ids) {
      const hits = new Map<string, Product>();
      const now = nowMs();
      for (const id of ids) {
        const product = recall(products, id, now);
        if (product !== undefined) hits.set(id, product);
      }
      return { hits, generation: String(generation) };
    },

    async putProducts(fresh, token) {
      if (!isCurrent(token)) return;
      const now = nowMs();
      const expiresAtMs = now + ttlMs;
      for (const product of fresh) {
        remember(products, product.id, { value: product, expiresAtMs }, options.maxEntries, now);
      }
    },

    async getCategories() {
      const current = categories !== undefined && categories.expiresAtMs > nowMs() ? categories.value : undefined;
      return { categories: current, generation: String(generation) };
    },

    async putCategories(fresh, token) {
      if (isCurrent(token)) categories = { value: fresh, expiresAtMs: nowMs() + ttlMs };
    },

    async getListing(key) {
      if (listingTtlMs === 0) return { page: undefined, generation: NO_GENERATION };
      return { page: recall(listings, key, nowMs()), generation: String(generation) };
    },

    async putListing(key, page, token) {
      if (listingTtlMs === 0 || !isCurrent(token)) return;
      const now = nowMs();
      remember(listings, key, { value: page, expiresAtMs: now + listingTtlMs }, options.listingMaxEntries, now);
    },

    async invalidate(ids) {
      generation += 1;
      for (const id of ids) products.delete(id);
      categories = undefined;
      listings.clear();
    },
  };
}
