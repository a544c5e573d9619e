import Type from "typebox";

/** Default of `CATALOG_CACHE_TTL_SECONDS`: five minutes. */
export const DEFAULT_CACHE_TTL_SECONDS = 300;

/** Default of `CATALOG_CACHE_MAX_ENTRIES`: 10,000 products (a few MB of memory). */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

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
});
