import Type from "typebox";

/** Inventory's environment: variable name → schema (parsed once by the launcher). */
export const InventoryConfig = Type.Object({
  INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 5_000,
    description: "How often expired holds are released",
  }),
  INVENTORY_LEVEL_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 2_000,
    description:
      "How long a stock level read for product pages may be served from memory, in ms (0 = off); " +
      "this process's own writes invalidate at once, other replicas' show within this time " +
      "(the embedded store, inventory's only writer, defaults to 60000)",
  }),
  INVENTORY_LEVEL_CACHE_MAX_ENTRIES: Type.Integer({
    minimum: 1,
    default: 50_000,
    description: "Most SKUs the stock-level cache holds",
  }),
});
