import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type SqlDatabase } from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
import { CatalogConfig, createCatalogService, type CatalogServiceModule } from "./index.ts";

// The full demo catalog, on its own database (its own test file, so its own worker): the
// concurrency and size of the real seed, with timings reported rather than asserted (CI
// machines are shared, so a time budget here would only make the suite flaky).
describe("seeding the full demo catalog", () => {
  let database: SqlDatabase;
  let catalog: CatalogServiceModule;

  beforeAll(async () => {
    database = await openTestDatabase();
    catalog = await createCatalogService({
      database,
      // Listing caching off: the latency reported below is the database's, not the cache's.
      config: { ...loadConfig(CatalogConfig, {}), CATALOG_SEED_COUNT: 5_000, CATALOG_LISTING_CACHE_TTL_SECONDS: 0 },
      logger: testLogger(),
      clock: () => new Date("2026-01-01T00:00:00Z"),
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it("two concurrent seeds write 5,000 products once", async () => {
    const startedMs = performance.now();
    const results = await Promise.all([catalog.useCases.seedProducts(0), catalog.useCases.seedProducts(0)]);
    const seedMs = performance.now() - startedMs;
    console.info(`seeded 5,000 products in ${Math.round(seedMs)} ms (two concurrent calls)`);

    expect(results.map((r) => r.seeded).sort()).toEqual([false, true]);
    const winner = results.find((r) => r.seeded);
    expect(winner?.stock).toHaveLength(5_000);
    expect(results.find((r) => !r.seeded)?.stock).toEqual([]);
    const categories = await catalog.useCases.listCategories();
    expect(categories.length).toBeGreaterThanOrEqual(20);
    expect(categories.reduce((sum, c) => sum + c.productCount, 0)).toBe(5_000);
  });

  it("searches the full catalog (latency reported)", async () => {
    const queries = ["wireless headphones", "hedphones", "stainless steel skilet", "yoga mat", "the", "usb-c charger"];
    for (const query of queries) {
      const page = await catalog.useCases.listProducts({ query, category: "", limit: 20, cursor: "" });
      expect(page.products.length, query).toBeGreaterThan(0);
    }
    const rounds = 5;
    const startedMs = performance.now();
    for (let round = 0; round < rounds; round += 1) {
      for (const query of queries) await catalog.useCases.listProducts({ query, category: "", limit: 20, cursor: "" });
    }
    const searchMs = (performance.now() - startedMs) / (rounds * queries.length);
    const browseStartedMs = performance.now();
    for (let round = 0; round < rounds * queries.length; round += 1) {
      await catalog.useCases.listProducts({ query: "", category: "electronics", limit: 20, cursor: "" });
    }
    const browseMs = (performance.now() - browseStartedMs) / (rounds * queries.length);
    console.info(`search: ${searchMs.toFixed(1)} ms per page of 20; browse: ${browseMs.toFixed(1)} ms per page`);
  });
});
