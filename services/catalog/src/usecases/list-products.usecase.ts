import type { CatalogStore } from "../domain/catalog-store.ts";
import { encodeCursor } from "../domain/cursor.ts";
import { isImpossibleCategory, parseListing, type ListingRequest } from "../domain/listing.ts";
import type { Product } from "../domain/product.ts";

/** One page of a listing; `nextCursor` is empty on the last page. */
export interface ProductPage {
  readonly products: readonly Product[];
  readonly nextCursor: string;
}

/**
 * Browses (empty query: by name, then id) or searches (full text + typo-tolerant name match,
 * by relevance, then id) the catalog, optionally within a category, one keyset page at a time.
 * Walking `nextCursor` until it is empty yields every matching product exactly once.
 * An unknown category gives an empty page.
 * @throws SoukError invalid_argument CATALOG_INVALID_LIMIT, CATALOG_INVALID_QUERY, CATALOG_INVALID_CURSOR.
 */
export function listProducts(store: CatalogStore) {
  return async (request: ListingRequest): Promise<ProductPage> => {
    const listing = parseListing(request);
    if (isImpossibleCategory(listing.category)) return { products: [], nextCursor: "" };
    // One row more than the page tells whether another page follows, without a count query.
    const rows = await store.list(listing, listing.limit + 1);
    const page = rows.slice(0, listing.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > listing.limit && last !== undefined ? encodeCursor(last.position, listing.fingerprint) : "";
    return { products: page.map((row) => row.product), nextCursor };
  };
}
