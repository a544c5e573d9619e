import Type from "typebox";

/** Inventory's environment: variable name → schema (parsed once by the launcher). */
export const InventoryConfig = Type.Object({
  INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 5_000,
    description: "How often expired holds are released",
  }),
});
