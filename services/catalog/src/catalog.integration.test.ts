import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { CatalogService } from "@souk/contracts/catalog";
import { fromConnectError, inProcessClient, loadConfig, newId, type SqlDatabase } from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
import { decodeCursor, listingFingerprint } from "./domain/cursor.ts";
import type { ListingRequest } from "./domain/listing.ts";
import type { Product } from "./domain/product.ts";
import { CatalogConfig, createCatalogService, type CatalogServiceModule } from "./index.ts";
import type { SeedResult } from "./usecases/seed-products.usecase.ts";

const SEED_COUNT = 600;
const NOW = new Date("2026-01-01T00:00:00Z");

describe("catalog on PostgreSQL (PGlite) with a seeded demo catalog", () => {
  let database: SqlDatabase;
  let catalog: CatalogServiceModule;
  let client: Client<typeof CatalogService>;
  let seed: SeedResult;

  beforeAll(async () => {
    database = await openTestDatabase();
    catalog = await createCatalogService({
      database,
      config: { ...loadConfig(CatalogConfig, {}), CATALOG_SEED_COUNT: SEED_COUNT },
      logger: testLogger(),
      clock: () => NOW,
    });
    await catalog.start();
    seed = await catalog.useCases.seedProducts(0);
    client = inProcessClient(CatalogService, catalog.handlers);
  });
  afterAll(async () => {
    await catalog.stop();
    await database.close();
  });

  /** Follows `nextCursor` to the end; returns every product in order and how many pages it took. */
  async function walk(request: Partial<ListingRequest>): Promise<{ products: Product[]; pages: number }> {
    const products: Product[] = [];
    let cursor = "";
    for (let pages = 1; pages <= 1_000; pages += 1) {
      const page = await catalog.useCases.listProducts({ query: "", category: "", limit: 0, ...request, cursor });
      products.push(...page.products);
      if (page.nextCursor === "") return { products, pages };
      expect(page.products).toHaveLength(request.limit ?? 20);
      cursor = page.nextCursor;
    }
    return expect.unreachable("pagination did not end");
  }

  async function rpcError(call: Promise<unknown>): Promise<{ grpc: Code; code: string; fields: string[] }> {
    const error = await call.then(
      () => expect.unreachable("expected the call to fail"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    const souk = fromConnectError(error);
    return { grpc: (error as ConnectError).code, code: souk.code, fields: souk.fields.map((f) => f.field) };
  }

  const ids = (products: readonly { id: string }[]) => products.map((p) => p.id);

  it("seeds the requested default count with an initial stock per SKU, once", async () => {
    expect(seed.seeded).toBe(true);
    expect(seed.stock).toHaveLength(SEED_COUNT);
    expect(new Set(seed.stock.map((s) => s.sku)).size).toBe(SEED_COUNT);
    expect(seed.stock.every((s) => Number.isInteger(s.quantity) && s.quantity >= 0)).toBe(true);

    expect(await catalog.useCases.seedProducts(0)).toEqual({ seeded: false, stock: [] });
    const again = await client.seedProducts({ count: 50 });
    expect(again.seeded).toBe(false);
    expect(again.stock).toEqual([]);
    const categories = await catalog.useCases.listCategories();
    expect(categories.reduce((sum, c) => sum + c.productCount, 0)).toBe(SEED_COUNT);
  });

  it("refuses a seed count outside 0..100,000 with field `count`", async () => {
    expect(await rpcError(client.seedProducts({ count: -1 }))).toEqual({
      grpc: Code.InvalidArgument,
      code: "CATALOG_INVALID_SEED_COUNT",
      fields: ["count"],
    });
  });

  it("browses every product exactly once, in the same order whatever the page size", async () => {
    const small = await walk({ limit: 37 });
    expect(small.products).toHaveLength(SEED_COUNT);
    expect(new Set(ids(small.products)).size).toBe(SEED_COUNT);
    expect(small.pages).toBe(Math.ceil(SEED_COUNT / 37));
    const large = await walk({ limit: 100 });
    expect(ids(large.products)).toEqual(ids(small.products));
    expect(new Set(small.products.map((p) => p.sku))).toEqual(new Set(seed.stock.map((s) => s.sku)));
  });

  it("pages through search results without duplicates or gaps, ties included", async () => {
    for (const query of ["steel", "black", "set", "the"]) {
      const byThree = await walk({ query, limit: 3 });
      const byHundred = await walk({ query, limit: 100 });
      expect(byThree.products.length, query).toBeGreaterThan(3);
      expect(new Set(ids(byThree.products)).size, query).toBe(byThree.products.length);
      expect(ids(byThree.products), query).toEqual(ids(byHundred.products));
    }
    // A result count that is an exact multiple of the page size ends without an empty page.
    const exactFit = await walk({ query: "wireless", limit: 100 });
    expect((await walk({ query: "wireless", limit: exactFit.products.length })).pages).toBe(1);
    // One product per page: every cursor holds that product's score. Scores never rise, and
    // equal scores occur, so the id tie-break is what keeps those products from being skipped.
    const scores: number[] = [];
    let cursor = "";
    do {
      const page = await catalog.useCases.listProducts({ query: "steel", category: "", limit: 1, cursor });
      cursor = page.nextCursor;
      const position = cursor === "" ? undefined : decodeCursor(cursor, listingFingerprint("steel", ""), "search");
      if (position?.kind === "search") scores.push(position.score);
    } while (cursor !== "");
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    expect(new Set(scores).size).toBeLessThan(scores.length);
  });

  it("finds products despite typos, best match first", async () => {
    const cases: [string, RegExp][] = [
      ["hedphones", /Headphones/],
      ["wireles hedphones", /Wireless Headphones/],
      ["backlit keybord", /Backlit Keyboard/],
      ["stainless steel skilet", /Stainless Steel Skillet/],
      ["yoga matt", /Yoga Mat/],
      ["saucepn", /Saucepan/],
    ];
    for (const [typo, expected] of cases) {
      const page = await catalog.useCases.listProducts({ query: typo, category: "", limit: 5, cursor: "" });
      expect(page.products.length, typo).toBeGreaterThan(0);
      expect(page.products[0]?.name, typo).toMatch(expected);
    }
    // Every product the exact spelling finds by name, the misspelling finds too.
    const exact = await walk({ query: "headphones", limit: 100 });
    const typo = await walk({ query: "hedphones", limit: 100 });
    const named = exact.products.filter((p) => p.name.includes("Headphones"));
    expect(named.length).toBeGreaterThan(1);
    expect(ids(typo.products)).toEqual(expect.arrayContaining(ids(named)));
  });

  it("ranks name matches above description matches, and matches category words", async () => {
    const steel = (await walk({ query: "steel", limit: 100 })).products;
    const inName = steel.map((p, i) => ({ p, i })).filter(({ p }) => /steel/i.test(p.name));
    const inDescriptionOnly = steel.map((p, i) => ({ p, i })).filter(({ p }) => !/steel/i.test(p.name));
    expect(inName.length).toBeGreaterThan(0);
    expect(inDescriptionOnly.length).toBeGreaterThan(0);
    expect(inDescriptionOnly.every(({ p }) => /steel/i.test(p.description))).toBe(true);
    expect(Math.max(...inName.map(({ i }) => i))).toBeLessThan(Math.min(...inDescriptionOnly.map(({ i }) => i)));

    // "Home & Kitchen" products are found by the category's words even when neither their
    // name nor their description says "kitchen".
    const kitchen = (await walk({ query: "kitchen", limit: 100 })).products;
    expect(kitchen.some((p) => p.category === "home-kitchen" && !/kitchen/i.test(`${p.name} ${p.description}`))).toBe(
      true,
    );
  });

  it("filters by category slug when browsing and searching", async () => {
    const books = await walk({ category: "books", limit: 50 });
    expect(books.products.length).toBeGreaterThan(0);
    expect(books.products.every((p) => p.category === "books")).toBe(true);

    const everywhere = await walk({ query: "stainless steel", limit: 100 });
    expect(new Set(everywhere.products.map((p) => p.category)).size).toBeGreaterThan(1);
    const kitchen = await walk({ query: "stainless steel", category: "home-kitchen", limit: 100 });
    expect(kitchen.products.length).toBeGreaterThan(0);
    expect(kitchen.products.every((p) => p.category === "home-kitchen")).toBe(true);
    expect(ids(kitchen.products)).toEqual(ids(everywhere.products.filter((p) => p.category === "home-kitchen")));
  });

  it("answers an unknown or malformed category with an empty list, not an error", async () => {
    for (const category of ["spaceships", "Not A Slug", "books'--"]) {
      for (const query of ["", "headphones"]) {
        const page = await client.listProducts({ query, category });
        expect(page.products).toEqual([]);
        expect(page.nextCursor).toBe("");
      }
    }
  });

  it("takes any user text as a web-search query without a syntax error", async () => {
    for (const query of [
      '"wireless headphones"',
      '"unbalanced',
      "headphones -studio",
      "a | b",
      "!!!",
      "'; drop table products; --",
      "(((",
      "café:* & ü",
    ]) {
      const page = await client.listProducts({ query });
      expect(Array.isArray(page.products), query).toBe(true);
    }
    const phrase = await catalog.useCases.listProducts({
      query: '"wireless headphones"',
      category: "",
      limit: 5,
      cursor: "",
    });
    expect(phrase.products[0]?.name).toMatch(/Wireless Headphones/);
    expect((await client.listProducts({ query: "!!!" })).products).toEqual([]);
  });

  it("refuses a bad limit, cursor or query with INVALID_ARGUMENT naming the field", async () => {
    for (const limit of [-1, 101]) {
      expect(await rpcError(client.listProducts({ limit }))).toEqual({
        grpc: Code.InvalidArgument,
        code: "CATALOG_INVALID_LIMIT",
        fields: ["limit"],
      });
    }
    for (const cursor of ["garbage!", "bm90IGpzb24", Buffer.from('{"v":1}').toString("base64url")]) {
      expect(await rpcError(client.listProducts({ cursor }))).toEqual({
        grpc: Code.InvalidArgument,
        code: "CATALOG_INVALID_CURSOR",
        fields: ["cursor"],
      });
    }
    const browsePage = await client.listProducts({ limit: 5 });
    expect(browsePage.nextCursor).not.toBe("");
    expect(await rpcError(client.listProducts({ query: "mat", cursor: browsePage.nextCursor }))).toMatchObject({
      code: "CATALOG_INVALID_CURSOR",
      fields: ["cursor"],
    });
    expect(await rpcError(client.listProducts({ query: "x".repeat(201) }))).toEqual({
      grpc: Code.InvalidArgument,
      code: "CATALOG_INVALID_QUERY",
      fields: ["query"],
    });
  });

  it("serves a product over the contract with its price in minor units and its images", async () => {
    const [first] = (await catalog.useCases.listProducts({ query: "", category: "", limit: 1, cursor: "" })).products;
    if (first === undefined) return expect.unreachable("the catalog is empty");
    const { product } = await client.getProduct({ id: first.id });
    expect(product).toMatchObject({
      id: first.id,
      sku: first.sku,
      name: first.name,
      description: first.description,
      category: first.category,
      price: { amountMinor: BigInt(first.price.amountMinor), currency: "USD" },
      images: [...first.images],
    });
    expect(first.createdAt).toEqual(NOW);
    expect(first.images[0]).toBe(`https://images.souk.example/products/${first.sku}-1.jpg`);
  });

  it("answers NOT_FOUND for an unknown or malformed product id", async () => {
    for (const id of [newId(), "not-a-uuid", "", "'; select 1; --"]) {
      expect(await rpcError(client.getProduct({ id }))).toEqual({
        grpc: Code.NotFound,
        code: "CATALOG_PRODUCT_NOT_FOUND",
        fields: [],
      });
    }
  });

  it("batch-gets the products that exist, each once, ignoring non-UUIDs", async () => {
    const page = await catalog.useCases.listProducts({ query: "", category: "", limit: 3, cursor: "" });
    const [a, b, c] = ids(page.products);
    if (a === undefined || b === undefined || c === undefined) return expect.unreachable("too few products");
    const { products } = await client.batchGetProducts({ ids: [a, b, a.toUpperCase(), newId(), "garbage", c, ""] });
    expect(ids(products).sort()).toEqual([a, b, c].sort());
    expect((await client.batchGetProducts({ ids: [] })).products).toEqual([]);
    expect((await client.batchGetProducts({ ids: Array.from({ length: 200 }, () => newId()) })).products).toEqual([]);
    expect(await rpcError(client.batchGetProducts({ ids: Array.from({ length: 201 }, () => a) }))).toEqual({
      grpc: Code.InvalidArgument,
      code: "CATALOG_TOO_MANY_IDS",
      fields: ["ids"],
    });
  });

  it("lists every category with a product count matching what browsing it yields", async () => {
    const { categories } = await client.listCategories({});
    expect(categories.length).toBeGreaterThanOrEqual(20);
    expect(categories.map((c) => c.name)).toEqual(
      expect.arrayContaining(["Electronics", "Books", "Home & Kitchen", "Pet Supplies", "Arts & Crafts"]),
    );
    expect(categories.find((c) => c.slug === "home-kitchen")?.name).toBe("Home & Kitchen");
    expect(categories.reduce((sum, c) => sum + c.productCount, 0)).toBe(SEED_COUNT);
    for (const category of categories) {
      expect(category.productCount, category.slug).toBeGreaterThan(0);
      const walked = await walk({ category: category.slug, limit: 100 });
      expect(walked.products.length, category.slug).toBe(category.productCount);
    }
  });
});
