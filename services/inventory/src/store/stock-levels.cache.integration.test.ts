import { setTimeout as delay } from "node:timers/promises";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openTestDatabase } from "@souk/platform/testing";
import type { SqlDatabase } from "@souk/platform";
import type { InventoryStore } from "../domain/reservation.ts";
import { createInventoryStore, type InventoryDatabase } from "./inventory.store.ts";
import { inventoryMigrations } from "./migrations.ts";
import { withStockLevelCache } from "./stock-levels.cache.ts";

describe("stock-level cache over the PostgreSQL store (PGlite)", () => {
  let database: SqlDatabase;
  let db: Kysely<InventoryDatabase>;
  let store: InventoryStore;
  let cached: InventoryStore;
  const expires = new Date("2099-01-01T00:00:00Z");

  /** A write behind the cache's back, as another replica or an operator would make it. */
  const setOnHandBehindTheCache = (sku: string, onHand: number) =>
    sql`UPDATE inventory.stock SET on_hand = ${onHand} WHERE sku = ${sku}`.execute(db);

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.migrate("inventory", inventoryMigrations);
    db = database.forSchema<InventoryDatabase>("inventory");
    store = createInventoryStore(db);
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    cached = withStockLevelCache(store, { ttlMs: 60_000, maxEntries: 100 });
    await store.setOnHand([
      { sku: "C-1", onHand: 10 },
      { sku: "C-2", onHand: 4 },
    ]);
  });

  it("answers repeated reads from memory until the TTL, unknown SKUs included", async () => {
    expect(await cached.getLevels(["C-1", "NOPE"])).toEqual([{ sku: "C-1", onHand: 10, reserved: 0 }]);
    await setOnHandBehindTheCache("C-1", 7);
    await store.setOnHand([{ sku: "NOPE", onHand: 1 }]);
    // Served from memory: neither the hidden update nor the new SKU shows yet.
    expect(await cached.getLevels(["C-1", "NOPE"])).toEqual([{ sku: "C-1", onHand: 10, reserved: 0 }]);

    const short = withStockLevelCache(store, { ttlMs: 50, maxEntries: 100 });
    expect(await short.getLevels(["C-1"])).toEqual([{ sku: "C-1", onHand: 7, reserved: 0 }]);
    await setOnHandBehindTheCache("C-1", 6);
    await delay(120);
    expect(await short.getLevels(["C-1"])).toEqual([{ sku: "C-1", onHand: 6, reserved: 0 }]);
    await sql`DELETE FROM inventory.stock WHERE sku = 'NOPE'`.execute(db);
  });

  it("shows its own writes at once: reserve, commit, release, restock, set on hand", async () => {
    const level = async (sku: string) => (await cached.getLevels([sku]))[0];
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 4, reserved: 0 });
    await cached.reserve("cache-o1", [{ sku: "C-2", quantity: 3 }], expires);
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 4, reserved: 3 });
    await cached.transition("cache-o1", "HELD", "COMMITTED");
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 1, reserved: 0 });
    await cached.transition("cache-o1", "COMMITTED", "RESTOCKED");
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 4, reserved: 0 });
    await cached.reserve("cache-o2", [{ sku: "C-2", quantity: 1 }], expires);
    await cached.transition("cache-o2", "HELD", "RELEASED");
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 4, reserved: 0 });
    await cached.setOnHand([{ sku: "C-2", onHand: 9 }]);
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 9, reserved: 0 });
    // A refused reservation changes nothing, and the cache still answers the truth.
    await expect(cached.reserve("cache-o3", [{ sku: "C-2", quantity: 99 }], expires)).rejects.toMatchObject({
      code: "INVENTORY_INSUFFICIENT_STOCK",
    });
    expect(await level("C-2")).toEqual({ sku: "C-2", onHand: 9, reserved: 0 });
  });

  it("does not keep what a read saw before a write that overlapped it committed", async () => {
    // The read's answer is held back until a reservation has committed through the cache, as a
    // slow connection of a pool would: the stale answer must not be cached.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowReads: InventoryStore = {
      ...store,
      getLevels: async (skus) => {
        const levels = await store.getLevels(skus);
        await gate;
        return levels;
      },
    };
    const overlapping = withStockLevelCache(slowReads, { ttlMs: 60_000, maxEntries: 100 });
    const read = overlapping.getLevels(["C-1"]);
    await delay(20);
    await overlapping.reserve("cache-o4", [{ sku: "C-1", quantity: 2 }], expires);
    release();
    expect(await read).toEqual([{ sku: "C-1", onHand: 10, reserved: 0 }]);
    expect(await overlapping.getLevels(["C-1"])).toEqual([{ sku: "C-1", onHand: 10, reserved: 2 }]);
    await overlapping.transition("cache-o4", "HELD", "RELEASED");
  });

  it("is the plain store when the TTL is 0", () => {
    expect(withStockLevelCache(store, { ttlMs: 0, maxEntries: 100 })).toBe(store);
  });
});
