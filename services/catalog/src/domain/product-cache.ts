import type { ProductPage } from "./listing.ts";
import type { CategorySummary, Product } from "./product.ts";

/**
 * The cache's invalidation state when a lookup began, as an opaque token. A fill carrying a
 * token older than the latest invalidation is dropped: a reader that loaded a product from the
 * database just before an update committed cannot put the old version back after the update's
 * invalidation (the cache-aside race).
 */
export type CacheGeneration = string;

/** A generation that fills nothing: what a lookup returns when the cache could not answer. */
export const NO_GENERATION: CacheGeneration = "";

/** The cached products among the ids asked for, and the generation to fill the misses with. */
export interface ProductLookup {
  /** Hits, keyed by product id (lower case). Misses are absent. */
  readonly hits: ReadonlyMap<string, Product>;
  readonly generation: CacheGeneration;
}

/** The cached category list (undefined on a miss) and the generation to fill it with. */
export interface CategoriesLookup {
  readonly categories: readonly CategorySummary[] | undefined;
  readonly generation: CacheGeneration;
}

/** The cached listing page (undefined on a miss) and the generation to fill it with. */
export interface ListingLookup {
  readonly page: ProductPage | undefined;
  readonly generation: CacheGeneration;
}

/**
 * Cache-aside port of catalog reads (GetProduct, BatchGetProducts, ListCategories, and the
 * pages of ListProducts): the use cases look here first, read the database on a miss and fill
 * the cache; every write (`updateProduct`, `seedProducts`) invalidates after writing the
 * database. Products and the category list live at most `CATALOG_CACHE_TTL_SECONDS`, listing
 * pages at most `CATALOG_LISTING_CACHE_TTL_SECONDS` (shorter: one product change can move it
 * in or out of many pages); the TTLs bound staleness should an invalidation be lost, or a
 * write reach the database without going through the use cases.
 *
 * No method throws: the cache is an optimization, so a cache that cannot answer (Redis down)
 * reports misses, drops fills and invalidations, and logs — a read never fails because of it.
 *
 * Implemented on Redis (`store/product.redis-cache.ts`, shared by every catalog process) and in
 * process (`store/product.memory-cache.ts`, LRU + TTL, for the embedded topology).
 */
export interface ProductCache {
  /** Looks up products by id (lower-case UUIDs). */
  getProducts(ids: readonly string[]): Promise<ProductLookup>;
  /** Caches `products` unless the cache was invalidated since `generation` was handed out. */
  putProducts(products: readonly Product[], generation: CacheGeneration): Promise<void>;
  /** Looks up the category list with product counts. */
  getCategories(): Promise<CategoriesLookup>;
  /** Caches the category list unless the cache was invalidated since `generation`. */
  putCategories(categories: readonly CategorySummary[], generation: CacheGeneration): Promise<void>;
  /**
   * Looks up a listing page by `key` (`listingCacheKey` of the parsed listing). A hit is a page
   * equal to the one filled — `Date`s as `Date`s — cached under the current generation. With a
   * listing TTL of 0 (listing caching off) every lookup is a miss that fills nothing.
   */
  getListing(key: string): Promise<ListingLookup>;
  /**
   * Caches `page` under `key` unless the cache was invalidated since `generation` was handed out
   * (the same race rule as products: a page read from the database before a write committed is
   * never put back after that write's invalidation).
   */
  putListing(key: string, page: ProductPage, generation: CacheGeneration): Promise<void>;
  /**
   * Forgets products `ids`, the category list (whose counts may have changed) and every listing
   * page (any of which the write may have changed), and moves to a new generation so fills from
   * lookups made before now are dropped.
   */
  invalidate(ids: readonly string[]): Promise<void>;
}
