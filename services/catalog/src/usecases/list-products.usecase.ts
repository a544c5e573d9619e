import type { CatalogStore } from "../domain/catalog-store.ts";
import { encodeCursor } from "../domain/cursor.ts";
import {
  isImpossibleCategory,
  listingCacheKey,
  parseListing,
  type ListingRequest,
  type ProductPage,
} from "../domain/listing.ts";
import type { ProductCache } from "../domain/product-cache.ts";

/**
 * Browses (empty query: by name, then id) or searches (full text + typo-tolerant name match,
 * by relevance, then id) the catalog, optionally within a category, one keyset page at a time.
 * Walking `nextCursor` until it is empty yields every matching product exactly once.
 * An unknown category gives an empty page.
 *
 * Pages are cache-aside (keyed by `listingCacheKey` of the parsed request): a hit is the page a
 * miss computed, with its `nextCursor`; a miss is read from the database and cached with the
 * lookup's generation, so a page read before a write committed is never put back after that
 * write's invalidation (see `ProductCache`). Pages carry no stock level, so caching them never
 * hides a stock change. A cache that cannot answer only makes every page a miss.
 * @throws SoukError invalid_argument CATALOG_INVALID_LIMIT, CATALOG_INVALID_QUERY, CATALOG_INVALID_CURSOR.
 */
export function listProducts(store: CatalogStore, cache: ProductCache) {
  return async (request: ListingRequest): Promise<ProductPage> => {
    const listing = parseListing(request);
    if (isImpossibleCategory(listing.category)) return { products: [], nextCursor: "" };
    const key = listingCacheKey(listing);
    const cached = await cache.getListing(key);
    if (cached.page !== undefined) return cached.page;
    // One row more than the page tells whether another page follows, without a count query.
    const rows = await store.list(listing, listing.limit + 1);
    const products = rows.slice(0, listing.limit);
    const last = products.at(-1);
    const nextCursor =
      rows.length > listing.limit && last !== undefined ? encodeCursor(last.position, listing.fingerprint) : "";
    const page: ProductPage = { products: products.map((row) => row.product), nextCursor };
    await cache.putListing(key, page, cached.generation);
    return page;
  };
}
