import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBinary } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import { pino } from "pino";
import { CatalogService, ListProductsResponseSchema } from "@souk/contracts/catalog";
import {
  closeRedis,
  inProcessClient,
  loadConfig,
  newId,
  openRedis,
  type Redis,
  type SoukError,
  type SqlDatabase,
} from "@souk/platform";
import {
  closedPort,
  isCollected,
  openTestDatabase,
  openTestRedis,
  testLogger,
  type TestRedis,
} from "@souk/platform/testing";
import { listingCacheKey, parseListing, type ListingRequest, type ProductPage } from "./domain/listing.ts";
import { NO_GENERATION, type ProductCache } from "./domain/product-cache.ts";
import type { Product } from "./domain/product.ts";
import { CATALOG_SCHEMA, CatalogConfig, createCatalogService, type CatalogServiceModule } from "./index.ts";
import type { CatalogDatabase } from "./store/catalog.store.ts";
import { createMemoryProductCache } from "./store/product.memory-cache.ts";
import { createRedisProductCache, listingKeySuffix, PRODUCT_CACHE_KEY_PREFIX } from "./store/product.redis-cache.ts";

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
  const directCache = (listingTtlSeconds = 60): ProductCache =>
    cacheKind === "redis"
      ? createRedisProductCache(requireRedis(), { ttlSeconds: 300, listingTtlSeconds, logger: testLogger() })
      : createMemoryProductCache({
          maxEntries: 100,
          ttlSeconds: 300,
          listingMaxEntries: 100,
          listingTtlSeconds,
          clock,
        });
  const listing = (request: Partial<ListingRequest>): ListingRequest => ({
    query: "",
    category: "",
    limit: 0,
    cursor: "",
    ...request,
  });
  const keyOf = (request: Partial<ListingRequest>) => listingCacheKey(parseListing(listing(request)));

  it("serves GetProduct, BatchGetProducts and a listing page from the cache after the first read", async () => {
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

    // The page listed in beforeAll is cached too: it does not see the renames behind the cache.
    const listed = await catalog.useCases.listProducts({ query: "", category: "", limit: 40, cursor: "" });
    expect(listed.products).toEqual(products);
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

  it("caches a listing page until any write invalidates, and drops a fill that raced the write", async () => {
    const cache = directCache();
    const key = keyOf({ query: "lamp" });
    const filled: ProductPage = { products: [productAt(10), productAt(11)], nextCursor: "a-cursor" };
    const miss = await cache.getListing(key);
    expect(miss.page).toBeUndefined();
    expect(miss.generation).not.toBe(NO_GENERATION);
    await cache.putListing(key, filled, miss.generation);
    const hit = await cache.getListing(key);
    expect(hit).toEqual({ page: filled, generation: miss.generation });
    expect(hit.page?.products[0]?.createdAt).toBeInstanceOf(Date);
    expect((await cache.getListing(keyOf({ query: "lamp", limit: 5 }))).page).toBeUndefined();

    await cache.invalidate([newId()]); // a write naming a product of no cached page still retires every page
    const afterWrite = await cache.getListing(key);
    expect(afterWrite.page).toBeUndefined();
    // A reader that looked up before the write and read the database meanwhile: its fill is dropped.
    await cache.putListing(key, { ...filled, nextCursor: "stale" }, hit.generation);
    expect((await cache.getListing(key)).page).toBeUndefined();
    await cache.putListing(key, filled, afterWrite.generation);
    expect((await cache.getListing(key)).page).toEqual(filled);
  });

  it("caches no listing page with a listing TTL of 0, products still", async () => {
    const cache = directCache(0);
    const key = keyOf({ query: "ttl zero" });
    const generation = (await cache.getProducts([])).generation;
    await cache.putListing(key, { products: [productAt(12)], nextCursor: "" }, generation);
    expect(await cache.getListing(key)).toEqual({ page: undefined, generation: NO_GENERATION });
    if (cacheKind === "redis") {
      expect(await requireRedis().exists(`${PRODUCT_CACHE_KEY_PREFIX}listing:${listingKeySuffix(key)}`)).toBe(0);
    }
    await cache.putProducts([productAt(12)], generation);
    expect((await cache.getProducts([productAt(12).id])).hits.size).toBe(1);
  });

  it("serves ListProducts from the cache, identical to an uncached catalog, and shows a write at once", async () => {
    const uncached = await createCatalogService({
      database,
      config: { ...config, CATALOG_LISTING_CACHE_TTL_SECONDS: 0 },
      logger: testLogger(),
      clock,
    });
    const cachedClient = inProcessClient(CatalogService, catalog.handlers);
    const uncachedClient = inProcessClient(CatalogService, uncached.handlers);
    /** The use case's pages (Dates included) and the gRPC answers' bytes, cached and uncached. */
    const both = async (request: Partial<ListingRequest>) => ({
      cached: await catalog.useCases.listProducts(listing(request)),
      uncached: await uncached.useCases.listProducts(listing(request)),
      cachedBytes: toBinary(ListProductsResponseSchema, await cachedClient.listProducts(request)),
      uncachedBytes: toBinary(ListProductsResponseSchema, await uncachedClient.listProducts(request)),
    });
    const expectSame = (answer: Awaited<ReturnType<typeof both>>) => {
      expect(answer.cached).toEqual(answer.uncached);
      expect(answer.cachedBytes).toEqual(answer.uncachedBytes);
    };

    // Browse pages (first and next) and a search page: a miss, then hits, the same as uncached.
    const word = productAt(13).name.split(" ").at(-1) ?? "";
    for (const request of [{ limit: 7 }, { query: `  ${word}  `, limit: 2 }, { category: productAt(13).category }]) {
      const first = await both(request);
      expectSame(first);
      expectSame(await both(request));
      expect(first.cached.products.length).toBeGreaterThan(0);
      expect(first.cached.products.every((p) => p.createdAt instanceof Date && p.updatedAt instanceof Date)).toBe(true);
      if (first.cached.nextCursor !== "") expectSame(await both({ ...request, cursor: first.cached.nextCursor }));
    }

    // The empty answer to a search is cached: a rename behind the cache's back is not seen...
    const target = productAt(14);
    const search = { query: "zanzibarite" };
    expect((await both(search)).cached.products).toEqual([]);
    await renameBehindTheCache(target.id, "Zanzibarite Lamp");
    const behind = await both(search);
    expect(behind.cached.products).toEqual([]);
    expect(behind.uncached.products.map((p) => p.id)).toEqual([target.id]);

    // ...but a write through updateProduct is, on the very next read, in every way it moves a listing.
    const renamed = await catalog.useCases.updateProduct(target.id, { name: "Zanzibarite Lantern" });
    const found = await both(search);
    expect(found.cached.products).toEqual([renamed]);
    expectSame(found);
    expectSame(await both(search));

    const browseCategory = { category: target.category, limit: 100 };
    const priced = (page: ProductPage) => page.products.find((p) => p.id === target.id)?.price;
    expect(priced((await both(browseCategory)).cached)).toEqual(renamed.price);
    const repriced = await catalog.useCases.updateProduct(target.id, {
      price: { amountMinor: 4_321, currency: "EUR" },
    });
    const afterPrice = await both(browseCategory);
    expect(priced(afterPrice.cached)).toEqual({ amountMinor: 4_321, currency: "EUR" });
    expect(afterPrice.cached.products.find((p) => p.id === target.id)).toEqual(repriced);
    expectSame(afterPrice);

    await catalog.useCases.updateProduct(target.id, { name: "Plain Lantern" });
    expectSame(await both(search));
    expect((await both(search)).cached.products).toEqual([]);

    if (cacheKind === "redis") {
      // Another catalog process on the same Redis sees the write at once too.
      const other = await createCatalogService({ database, config, logger: testLogger(), clock, redis });
      expect((await other.useCases.listProducts(listing(search))).products).toEqual([]);
      const back = await catalog.useCases.updateProduct(target.id, { name: "Zanzibarite Lantern" });
      expect((await other.useCases.listProducts(listing(search))).products).toEqual([back]);
    }
  });

  if (cacheKind === "memory") {
    /** A memory cache (TTLs: products 10 s, listings 5 s) on a clock the test moves with `advance(ms)`. */
    const cacheOnTestClock = (bounds: { maxEntries: number; listingMaxEntries: number }) => {
      let now = new Date("2026-01-01T00:00:00Z");
      const cache = createMemoryProductCache({ ...bounds, ttlSeconds: 10, listingTtlSeconds: 5, clock: () => now });
      return { cache, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
    };

    it("evicts the least recently used product beyond its size, and expires entries after the TTL", async () => {
      const { cache, advance } = cacheOnTestClock({ maxEntries: 2, listingMaxEntries: 2 });
      const [a, b, c] = [productAt(5), productAt(6), productAt(7)];
      const ids = [a.id, b.id, c.id];
      await cache.putProducts([a, b], (await cache.getProducts([])).generation);
      expect((await cache.getProducts([a.id])).hits.size).toBe(1); // a is now the most recently used
      await cache.putProducts([c], (await cache.getProducts([])).generation);
      expect([...(await cache.getProducts(ids)).hits.keys()].sort()).toEqual([a.id, c.id].sort());
      await cache.putCategories([], (await cache.getCategories()).generation);
      expect((await cache.getCategories()).categories).toEqual([]);

      advance(9_999);
      expect((await cache.getProducts(ids)).hits.size).toBe(2);
      advance(10_000);
      expect((await cache.getProducts(ids)).hits.size).toBe(0);
      expect((await cache.getCategories()).categories).toBeUndefined();
    });

    it("expires listing pages after the listing TTL and evicts the least recently used beyond its bound", async () => {
      const { cache, advance } = cacheOnTestClock({ maxEntries: 10, listingMaxEntries: 2 });
      const pageOf = (product: Product): ProductPage => ({ products: [product], nextCursor: "" });
      const [a, b, c] = [keyOf({ query: "a" }), keyOf({ query: "b" }), keyOf({ query: "c" })];
      const fill = async (key: string, page: ProductPage) =>
        cache.putListing(key, page, (await cache.getListing(key)).generation);
      await fill(a, pageOf(productAt(15)));
      await fill(b, pageOf(productAt(16)));
      expect((await cache.getListing(a)).page).toEqual(pageOf(productAt(15))); // a is now the most recently used
      await fill(c, pageOf(productAt(17)));
      expect((await cache.getListing(b)).page).toBeUndefined();
      expect((await cache.getListing(a)).page).toEqual(pageOf(productAt(15)));
      await cache.putProducts([productAt(18)], (await cache.getProducts([])).generation);

      advance(4_999);
      expect((await cache.getListing(c)).page).toEqual(pageOf(productAt(17)));
      advance(1);
      expect((await cache.getListing(a)).page).toBeUndefined();
      expect((await cache.getListing(c)).page).toBeUndefined();
      // The listing TTL is the listings' own: the product filled with them is still served.
      expect((await cache.getProducts([productAt(18).id])).hits.size).toBe(1);
    });

    it("lets go of expired entries nobody reads again once the next fill comes", async () => {
      const { cache, advance } = cacheOnTestClock({ maxEntries: 10, listingMaxEntries: 10 });
      const fill = async (key: string, page: ProductPage) =>
        cache.putListing(key, page, (await cache.getListing(key)).generation);
      // A page and a product read once (a crawl), kept only through weak references here.
      const crawled = await (async () => {
        const page: ProductPage = { products: [{ ...productAt(20) }], nextCursor: "" };
        const product = { ...productAt(21) };
        await fill(keyOf({ query: "crawled" }), page);
        await cache.putProducts([product], (await cache.getProducts([])).generation);
        return { page: new WeakRef(page), product: new WeakRef(product) };
      })();
      advance(4_000);
      await fill(keyOf({ query: "read" }), { products: [productAt(22)], nextCursor: "" });
      expect(await isCollected(crawled.page)).toBe(false); // not expired yet
      advance(1_000);
      await fill(keyOf({ query: "later" }), { products: [productAt(23)], nextCursor: "" });
      expect(await isCollected(crawled.page)).toBe(true);
      expect((await cache.getListing(keyOf({ query: "read" }))).page?.products).toEqual([productAt(22)]); // live ones stay
      expect(await isCollected(crawled.product)).toBe(false); // products keep their own 10 s
      advance(5_000);
      await cache.putProducts([productAt(24)], (await cache.getProducts([])).generation);
      expect(await isCollected(crawled.product)).toBe(true);
      expect((await cache.getProducts([productAt(24).id])).hits.size).toBe(1);
    });
  }

  if (cacheKind === "redis") {
    it("stores a listing as `<generation>\\n<JSON>` under a bounded key, and reads anything else as a miss", async () => {
      const client = requireRedis();
      const cache = directCache();
      const filled: ProductPage = { products: [productAt(19)], nextCursor: "a-cursor" };
      const short = keyOf({ query: "short query" });
      const long = keyOf({ query: "a long query ".repeat(15) });
      const redisKey = (key: string) => `${PRODUCT_CACHE_KEY_PREFIX}listing:${listingKeySuffix(key)}`;
      expect(listingKeySuffix(short)).toBe(short);
      expect(listingKeySuffix(long)).toMatch(/^#[A-Za-z0-9_-]{43}$/);

      const { generation } = await cache.getListing(short);
      for (const key of [short, long]) await cache.putListing(key, filled, generation);
      expect(await client.get(redisKey(short))).toBe(`${generation}\n${JSON.stringify(filled)}`);
      expect(await client.ttl(redisKey(short))).toBeGreaterThan(50);
      expect(await client.ttl(redisKey(short))).toBeLessThanOrEqual(60);
      expect((await cache.getListing(long)).page).toEqual(filled);

      for (const unreadable of [
        "no generation",
        `${generation}\nnot json`,
        `${generation}\nnull`,
        `${generation}\n{"products":[{"id":1}],"nextCursor":""}`,
        `${generation}\n{"products":[],"nextCursor":7}`,
        `${Number(generation) - 1}\n${JSON.stringify(filled)}`,
      ]) {
        await client.set(redisKey(short), unreadable);
        expect(await cache.getListing(short), unreadable).toEqual({ page: undefined, generation });
      }
      await client.del(redisKey(short));
      await client.hset(redisKey(short), "not", "a string");
      expect(await cache.getListing(short)).toEqual({ page: undefined, generation });
      await client.del(redisKey(short));

      // An invalidation deletes no page: the INCR alone turns every page into a miss.
      await cache.putListing(short, filled, generation);
      await cache.invalidate([]);
      expect(await client.exists(redisKey(short), redisKey(long))).toBe(2);
      expect((await cache.getListing(short)).page).toBeUndefined();
      expect((await cache.getListing(long)).page).toBeUndefined();
    });

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
          const request = listing({ query: productAt(9).name });
          expect((await degraded.useCases.listProducts(request)).products).toContainEqual(productAt(9));
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
