import Type from "typebox";

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
});
