import { invalidArgument } from "@souk/platform";
import { decodeCursor, listingFingerprint, type ListingPosition } from "./cursor.ts";
import { CATEGORY_SLUG_PATTERN, type Product } from "./product.ts";

/** Page size when the caller asks for 0 (proto: "0 means the default (20)"). */
export const DEFAULT_PAGE_SIZE = 20;

/** Largest page size (proto: "Page size, 1..100"). */
export const MAX_PAGE_SIZE = 100;

/** Longest search query, in characters; longer input is refused rather than truncated. */
export const MAX_QUERY_LENGTH = 200;

/** A ListProducts request as it arrives: every field may be empty or zero. */
export interface ListingRequest {
  readonly query: string;
  readonly category: string;
  readonly limit: number;
  readonly cursor: string;
}

/**
 * A validated listing. `text` is the trimmed query: empty means browse (sorted by name, id),
 * otherwise search (sorted by relevance, id). `category` is a slug or undefined for all.
 * `after` is where the previous page ended (undefined on the first page). `fingerprint`
 * identifies the listing in the cursors it hands out.
 */
export interface Listing {
  readonly mode: ListingPosition["kind"];
  readonly text: string;
  readonly category: string | undefined;
  readonly limit: number;
  readonly after: ListingPosition | undefined;
  readonly fingerprint: string;
}

/** One page of a listing (what ListProducts answers); `nextCursor` is empty on the last page. */
export interface ProductPage {
  readonly products: readonly Product[];
  readonly nextCursor: string;
}

/**
 * Validates a ListProducts request. The query's length is checked as sent; then whitespace is
 * collapsed so "  red  mug " and "red mug" are one listing.
 * @throws SoukError invalid_argument: CATALOG_INVALID_LIMIT (field `limit`) outside 0..100;
 * CATALOG_INVALID_QUERY (field `query`) beyond 200 characters; CATALOG_INVALID_CURSOR (field
 * `cursor`) for a cursor that is malformed or from another listing.
 */
export function parseListing(request: ListingRequest): Listing {
  if (!Number.isInteger(request.limit) || request.limit < 0 || request.limit > MAX_PAGE_SIZE) {
    throw invalidArgument("CATALOG_INVALID_LIMIT", `limit must be between 1 and ${MAX_PAGE_SIZE}`, [
      { field: "limit", message: `must be 0 (default ${DEFAULT_PAGE_SIZE}) or 1..${MAX_PAGE_SIZE}` },
    ]);
  }
  if ([...request.query].length > MAX_QUERY_LENGTH) {
    throw invalidArgument("CATALOG_INVALID_QUERY", `query must be at most ${MAX_QUERY_LENGTH} characters`, [
      { field: "query", message: `must be at most ${MAX_QUERY_LENGTH} characters` },
    ]);
  }
  const text = request.query.trim().replace(/\s+/g, " ");
  const category = request.category.trim() === "" ? undefined : request.category.trim();
  const mode = text === "" ? "browse" : "search";
  const fingerprint = listingFingerprint(text, category ?? "");
  return {
    mode,
    text,
    category,
    limit: request.limit === 0 ? DEFAULT_PAGE_SIZE : request.limit,
    after: request.cursor === "" ? undefined : decodeCursor(request.cursor, fingerprint, mode),
    fingerprint,
  };
}

/**
 * True when no product can be in `category`: the slug is malformed, so no query is needed.
 * An unknown but well-formed slug is answered by the store with an empty page (not an error).
 */
export function isImpossibleCategory(category: string | undefined): boolean {
  return category !== undefined && !CATEGORY_SLUG_PATTERN.test(category);
}

/**
 * The listing cache's key for `listing`: JSON of every parsed input the page depends on —
 * query text (already trimmed and whitespace-collapsed, case kept: the cursors a page hands
 * out carry a case-sensitive fingerprint), category, page size (after defaulting) and the
 * position it starts after — so two requests share a key exactly when they get the same page.
 * Unbounded in length (a 200-character query, a cursor's 200-character name): a store that needs
 * bounded keys hashes it.
 */
export function listingCacheKey(listing: Listing): string {
  const after = listing.after;
  const position =
    after === undefined ? null : after.kind === "browse" ? ["b", after.name, after.id] : ["s", after.score, after.id];
  return JSON.stringify([listing.text, listing.category ?? null, listing.limit, position]);
}
