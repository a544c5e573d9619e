import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
import type { SqlDatabase } from "@souk/platform";
import { createInventoryService } from "./index.ts";

describe("inventory on PostgreSQL (PGlite)", () => {
  let database: SqlDatabase;
  let now = new Date("2026-01-01T00:00:00Z");
  let inventory: Awaited<ReturnType<typeof createInventoryService>>;

  beforeAll(async () => {
    database = await openTestDatabase();
    inventory = await createInventoryService({
      database,
      config: {
        INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: 1000,
        INVENTORY_LEVEL_CACHE_TTL_MS: 2000,
        INVENTORY_LEVEL_CACHE_MAX_ENTRIES: 1000,
      },
      logger: testLogger(),
      clock: () => now,
    });
    await inventory.useCases.setStockLevels([
      { sku: "LAST-5", onHand: 5 },
      { sku: "A", onHand: 10 },
      { sku: "B", onHand: 1 },
    ]);
  });
  afterAll(async () => {
    await database.close();
  });

  const level = async (sku: string) => (await inventory.useCases.getStockLevels([sku]))[0];

  it("40 concurrent buyers of the last 5 units: exactly 5 reservations, never negative", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        inventory.useCases.reserveStock(`race-${i}`, [{ sku: "LAST-5", quantity: 1 }]),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.every((r) => (r.reason as { code?: string }).code === "INVENTORY_INSUFFICIENT_STOCK")).toBe(true);
    expect(await level("LAST-5")).toEqual({ sku: "LAST-5", onHand: 5, reserved: 5 });
  });

  it("reserves all lines or none", async () => {
    await expect(
      inventory.useCases.reserveStock("all-or-none", [
        { sku: "A", quantity: 2 },
        { sku: "B", quantity: 2 },
      ]),
    ).rejects.toMatchObject({ code: "INVENTORY_INSUFFICIENT_STOCK" });
    expect(await level("A")).toMatchObject({ reserved: 0 });
    expect(await inventory.useCases.commitReservation("all-or-none").catch((e: { code: string }) => e.code)).toBe(
      "INVENTORY_RESERVATION_NOT_FOUND",
    );
  });

  it("is idempotent per order, commits once, restocks once", async () => {
    const first = await inventory.useCases.reserveStock("o-1", [{ sku: "A", quantity: 3 }]);
    const again = await inventory.useCases.reserveStock("o-1", [{ sku: "A", quantity: 3 }]);
    expect(again).toEqual(first);
    expect(await level("A")).toEqual({ sku: "A", onHand: 10, reserved: 3 });
    await inventory.useCases.commitReservation("o-1");
    await inventory.useCases.commitReservation("o-1");
    expect(await level("A")).toEqual({ sku: "A", onHand: 7, reserved: 0 });
    await inventory.useCases.restockReservation("o-1");
    await inventory.useCases.restockReservation("o-1");
    expect(await level("A")).toEqual({ sku: "A", onHand: 10, reserved: 0 });
  });

  it("the sweeper releases expired holds, after which commit is refused", async () => {
    await inventory.useCases.reserveStock("slow", [{ sku: "A", quantity: 4 }], 60_000);
    expect(await inventory.useCases.releaseExpiredReservations()).toBe(0);
    now = new Date(now.getTime() + 60_000);
    expect(await inventory.useCases.releaseExpiredReservations()).toBe(1);
    expect(await level("A")).toMatchObject({ reserved: 0 });
    await expect(inventory.useCases.commitReservation("slow")).rejects.toMatchObject({
      code: "INVENTORY_RESERVATION_EXPIRED",
    });
  });

  it("refuses negative stock levels with field names", async () => {
    await expect(inventory.useCases.setStockLevels([{ sku: "A", onHand: -1 }])).rejects.toMatchObject({
      kind: "invalid_argument",
      fields: [{ field: "entries[0].on_hand", message: "must be a non-negative integer" }],
    });
  });
});
