import Type from "typebox";

/** Default of `CATALOG_CACHE_TTL_SECONDS`: five minutes. */
export const DEFAULT_CACHE_TTL_SECONDS = 300;

/** Default of `CATALOG_CACHE_MAX_ENTRIES`: 10,000 products (a few MB of memory). */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

/**
 * Default of `CATALOG_LISTING_CACHE_TTL_SECONDS`: one minute. Shorter than products': one
 * product's change can move it into or out of many pages, and a page's staleness after a lost
 * invalidation (or a write made behind catalog's back) is bounded by nothing else.
 */
export const DEFAULT_LISTING_CACHE_TTL_SECONDS = 60;

/**
 * Default of `CATALOG_LISTING_CACHE_MAX_ENTRIES`: 500 pages. A page holds 20 products by
 * default (up to 100), each about 1 KB in memory: some 10 MB when full of default-size pages
 * (the embedded store's whole budget is 300 MB).
 */
export const DEFAULT_LISTING_CACHE_MAX_ENTRIES = 500;

/** Catalog's environment: variable name → schema (parsed once by the launcher). */
export const CatalogConfig = Type.Object({
  CATALOG_SEED_COUNT: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 5_000,
    description: "Products SeedProducts generates when the request asks for 0",
  }),
  CATALOG_SEARCH_TYPO_THRESHOLD: Type.Number({
    exclusiveMinimum: 0,
    maximum: 1,
    default: 0.55,
    description:
      "pg_trgm word similarity (0..1] a product name needs to match a misspelt query; lower finds more, less precisely",
  }),
  // Optional so that configs written as literals before the cache existed stay valid; the
  // composition root falls back to the same defaults.
  CATALOG_CACHE_TTL_SECONDS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: DEFAULT_CACHE_TTL_SECONDS,
      description:
        "How long a product or the category list stays in the product cache, in seconds; bounds how stale a read can be if an invalidation is lost",
    }),
  ),
  CATALOG_CACHE_MAX_ENTRIES: Type.Optional(
    Type.Integer({
      minimum: 1,
      default: DEFAULT_CACHE_MAX_ENTRIES,
      description: "Most products the in-process cache holds when there is no Redis (least recently used go first)",
    }),
  ),
  CATALOG_LISTING_CACHE_TTL_SECONDS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: DEFAULT_LISTING_CACHE_TTL_SECONDS,
      description:
        "How long a page of browse or search results stays in the product cache, in seconds; 0 turns listing caching off. Bounds how stale a listing can be if an invalidation is lost",
    }),
  ),
  CATALOG_LISTING_CACHE_MAX_ENTRIES: Type.Optional(
    Type.Integer({
      minimum: 1,
      default: DEFAULT_LISTING_CACHE_MAX_ENTRIES,
      description:
        "Most listing pages the in-process cache holds when there is no Redis (least recently used go first)",
    }),
  ),
});
