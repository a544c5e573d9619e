import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { pino } from "pino";
import { closeRedis, loadConfig, newId, openRedis, type Redis, type SoukError, type SqlDatabase } from "@souk/platform";
import { closedPort, openTestDatabase, openTestRedis, testLogger, type TestRedis } from "@souk/platform/testing";
import type { ProductCache } from "./domain/product-cache.ts";
import type { Product } from "./domain/product.ts";
import { CATALOG_SCHEMA, CatalogConfig, createCatalogService, type CatalogServiceModule } from "./index.ts";
import type { CatalogDatabase } from "./store/catalog.store.ts";
import { createMemoryProductCache } from "./store/product.memory-cache.ts";
import { createRedisProductCache, PRODUCT_CACHE_KEY_PREFIX } from "./store/product.redis-cache.ts";

async function rejection(call: Promise<unknown>): Promise<SoukError> {
  return call.then(
    () => expect.unreachable("expected the call to fail"),
    (error: unknown) => error as SoukError,
  );
}

describe.each(["redis", "memory"] as const)("catalog's product cache in %s", (cacheKind) => {
  let database: SqlDatabase;
  let db: Kysely<CatalogDatabase>;
  let redis: Redis | undefined;
  let testRedis: TestRedis | undefined;
  let catalog: CatalogServiceModule;
  let products: Product[];
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = () => now;
  const config = { ...loadConfig(CatalogConfig, {}), CATALOG_SEED_COUNT: 40 };

  beforeAll(async () => {
    database = await openTestDatabase();
    if (cacheKind === "redis") testRedis = await openTestRedis("catalog cache");
    redis = testRedis?.redis;
    catalog = await createCatalogService({ database, config, logger: testLogger(), clock, redis });
    await catalog.useCases.seedProducts(0);
    db = database.forSchema<CatalogDatabase>(CATALOG_SCHEMA);
    products = [...(await catalog.useCases.listProducts({ query: "", category: "", limit: 40, cursor: "" })).products];
  });
  afterAll(async () => {
    if (redis !== undefined) {
      await testRedis?.deleteKeys();
      await closeRedis(redis);
    }
    await database?.close();
  });

  const productAt = (i: number): Product => {
    const product = products[i];
    if (product === undefined) throw new Error(`no product #${i}`);
    return product;
  };
  const requireRedis = (): Redis => {
    if (redis === undefined) throw new Error("this test runs on Redis only");
    return redis;
  };
  /** Changes a product's name in the database only, so a read that still sees the old name was a cache hit. */
  const renameBehindTheCache = (id: string, name: string) =>
    db.updateTable("products").set({ name }).where("id", "=", id).execute();
  /** A second cache of the kind under test, over the same Redis data (or a fresh memory). */
  const directCache = (): ProductCache =>
    cacheKind === "redis"
      ? createRedisProductCache(requireRedis(), { ttlSeconds: 300, logger: testLogger() })
      : createMemoryProductCache({ maxEntries: 100, ttlSeconds: 300, clock });

  it("serves GetProduct and BatchGetProducts from the cache after the first read", async () => {
    const [a, b] = [productAt(0), productAt(1)];
    expect(await catalog.useCases.getProduct(a.id)).toEqual(a);
    if (cacheKind === "redis") {
      const key = `${PRODUCT_CACHE_KEY_PREFIX}product:${a.id}`;
      expect(JSON.parse((await requireRedis().get(key)) ?? "null")).toMatchObject({ id: a.id, sku: a.sku });
      expect(await requireRedis().ttl(key)).toBeGreaterThan(290);
      expect(await requireRedis().ttl(key)).toBeLessThanOrEqual(300);
    }
    await renameBehindTheCache(a.id, "Renamed behind the cache");
    expect(await catalog.useCases.getProduct(a.id)).toEqual(a);
    expect(await catalog.useCases.getProduct(a.id.toUpperCase())).toEqual(a);

    // a is a hit, b a miss read from the database and cached in the same call.
    const batch = await catalog.useCases.batchGetProducts([a.id, b.id]);
    expect(batch.map((p) => p.name).sort()).toEqual([a.name, b.name].sort());
    await renameBehindTheCache(b.id, "Also renamed behind the cache");
    expect((await catalog.useCases.batchGetProducts([b.id])).map((p) => p.name)).toEqual([b.name]);

    // Listings are not cached: they see the database.
    const listed = await catalog.useCases.listProducts({ query: "", category: "", limit: 40, cursor: "" });
    expect(listed.products.map((p) => p.name)).toContain("Renamed behind the cache");
  });

  it("updateProduct writes the database, then invalidates the product and the category list", async () => {
    const product = productAt(2);
    const before = await catalog.useCases.listCategories();
    const target = before.find((c) => c.slug !== product.category);
    if (target === undefined) throw new Error("one category only");
    expect(await catalog.useCases.getProduct(product.id)).toEqual(product); // now cached

    now = new Date(now.getTime() + 60_000);
    const updated = await catalog.useCases.updateProduct(product.id, {
      name: "Updated Name",
      description: "A new description.",
      category: target.slug,
      price: { amountMinor: 12_345, currency: "EUR" },
      images: ["https://images.souk.example/products/new.jpg"],
    });
    const expected: Product = {
      ...product,
      name: "Updated Name",
      description: "A new description.",
      category: target.slug,
      price: { amountMinor: 12_345, currency: "EUR" },
      images: ["https://images.souk.example/products/new.jpg"],
      updatedAt: now,
    };
    expect(updated).toEqual(expected);
    expect(await catalog.useCases.getProduct(product.id)).toEqual(expected);
    expect(await catalog.useCases.batchGetProducts([product.id])).toEqual([expected]);
    const after = await catalog.useCases.listCategories();
    const countOf = (list: typeof before, slug: string) => list.find((c) => c.slug === slug)?.productCount ?? 0;
    expect(countOf(after, target.slug)).toBe(countOf(before, target.slug) + 1);
    expect(countOf(after, product.category)).toBe(countOf(before, product.category) - 1);

    // A partial change keeps the other fields.
    const renamed = await catalog.useCases.updateProduct(product.id.toUpperCase(), { name: "Renamed Again" });
    expect(renamed).toEqual({ ...expected, name: "Renamed Again" });
    expect(await catalog.useCases.getProduct(product.id)).toEqual(renamed);
  });

  it("refuses bad changes naming every field, an unknown category and an unknown product, writing nothing", async () => {
    const product = productAt(3);
    const invalid = await rejection(
      catalog.useCases.updateProduct(product.id, {
        name: "  ",
        price: { amountMinor: -1, currency: "usd" },
        images: ["http://insecure.example/a.jpg"],
      }),
    );
    expect(invalid).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_PRODUCT" });
    expect(invalid.fields.map((f) => f.field)).toEqual(["name", "price.amount_minor", "price.currency", "images[0]"]);
    expect(await rejection(catalog.useCases.updateProduct(product.id, { category: "spaceships" }))).toMatchObject({
      kind: "invalid_argument",
      code: "CATALOG_UNKNOWN_CATEGORY",
      fields: [{ field: "category" }],
    });
    for (const id of [newId(), "not-a-uuid"]) {
      expect(await rejection(catalog.useCases.updateProduct(id, { name: "x" }))).toMatchObject({
        kind: "not_found",
        code: "CATALOG_PRODUCT_NOT_FOUND",
      });
    }
    const row = await db.selectFrom("products").selectAll().where("id", "=", product.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: product.name,
      category: product.category,
      price_minor: product.price.amountMinor,
    });
    expect(await catalog.useCases.getProduct(product.id)).toEqual(product);
  });

  it("drops a fill that raced an invalidation, so an old version is never put back", async () => {
    const cache = directCache();
    const product = productAt(4);
    const stale = { ...product, name: "Stale" };
    const lookup = await cache.getProducts([product.id]);
    expect(lookup.hits.size).toBe(0);
    await cache.invalidate([product.id]); // an update committed while the reader was at the database
    await cache.putProducts([stale], lookup.generation);
    const next = await cache.getProducts([product.id]);
    expect(next.hits.size).toBe(0);
    await cache.putProducts([product], next.generation);
    expect((await cache.getProducts([product.id])).hits.get(product.id)).toEqual(product);

    const categories = await cache.getCategories();
    await cache.invalidate([]);
    await cache.putCategories([{ slug: "stale", name: "Stale", productCount: 1 }], categories.generation);
    expect((await cache.getCategories()).categories).toBeUndefined();
  });

  if (cacheKind === "memory") {
    it("evicts the least recently used product beyond its size, and expires entries after the TTL", async () => {
      let memoryNow = new Date("2026-01-01T00:00:00Z");
      const cache = createMemoryProductCache({ maxEntries: 2, ttlSeconds: 10, clock: () => memoryNow });
      const [a, b, c] = [productAt(5), productAt(6), productAt(7)];
      const ids = [a.id, b.id, c.id];
      await cache.putProducts([a, b], (await cache.getProducts([])).generation);
      expect((await cache.getProducts([a.id])).hits.size).toBe(1); // a is now the most recently used
      await cache.putProducts([c], (await cache.getProducts([])).generation);
      expect([...(await cache.getProducts(ids)).hits.keys()].sort()).toEqual([a.id, c.id].sort());
      await cache.putCategories([], (await cache.getCategories()).generation);
      expect((await cache.getCategories()).categories).toEqual([]);

      memoryNow = new Date(memoryNow.getTime() + 9_999);
      expect((await cache.getProducts(ids)).hits.size).toBe(2);
      memoryNow = new Date(memoryNow.getTime() + 10_000);
      expect((await cache.getProducts(ids)).hits.size).toBe(0);
      expect((await cache.getCategories()).categories).toBeUndefined();
    });
  }

  if (cacheKind === "redis") {
    it("serves every read from the database while Redis is down, warning once, never failing", async () => {
      const lines: { level: number; msg: string }[] = [];
      const logger = pino(
        { level: "warn" },
        { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
      );
      const down = openRedis(`redis://127.0.0.1:${await closedPort()}`, testLogger(), { connectTimeoutMs: 200 });
      try {
        const degraded = await createCatalogService({ database, config, logger, clock, redis: down });
        const product = productAt(8);
        for (let i = 0; i < 3; i += 1) {
          expect(await degraded.useCases.getProduct(product.id)).toEqual(product);
          expect(await degraded.useCases.batchGetProducts([product.id, productAt(9).id])).toHaveLength(2);
          expect(await degraded.useCases.listCategories()).toEqual(await catalog.useCases.listCategories());
        }
        const updated = await degraded.useCases.updateProduct(product.id, { name: "Written Without Redis" });
        expect(updated.name).toBe("Written Without Redis");
        expect((await degraded.useCases.getProduct(product.id)).name).toBe("Written Without Redis");

        const warnings = lines.filter((l) => l.msg === "product cache unavailable; serving from the database");
        expect(warnings).toHaveLength(1);
        expect(lines.filter((l) => l.msg.startsWith("product cache invalidation failed"))).toHaveLength(1);
      } finally {
        await closeRedis(down);
      }
    });
  }
});
