import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeProtectedHeader } from "jose";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Product } from "@souk/contracts/catalog";
import { InventoryService } from "@souk/contracts/inventory";
import { randomUUID } from "node:crypto";
import {
  closeRedis,
  createMetrics,
  loadConfig,
  openRedis,
  waitForRedis,
  type HttpServer,
  type Redis,
} from "@souk/platform";
import { grpcClient } from "@souk/platform/grpc";
import { testLogger } from "@souk/platform/testing";
import { createGateway, GatewayConfig } from "./index.ts";
import { availabilityLoader, productLoader } from "./routes/catalog.loaders.ts";
import { asksFresh } from "./routes/products.routes.ts";
import { forgeAccessToken, newForeignSigningKey } from "./testing/forged-tokens.ts";
import { composeStore, type TestStore } from "./testing/store.ts";

/** Matchers typed as `unknown` (vitest types them `any`). */
const anyString: unknown = expect.any(String);
const bearerScheme: unknown = expect.objectContaining({ type: "http", scheme: "bearer" });

const CHECKOUT = {
  payment: { card: { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2030, cvc: "123" } },
  shippingAddress: { name: "Ada", line1: "1 Rue X", city: "Paris", postalCode: "75001", country: "FR" },
};

/** The instant catalog, inventory, payments, cart and orders live at (identity follows the wall clock). */
const NOW = new Date("2026-01-01T00:00:00Z");
/** Every card authorization takes this long (PAYMENTS_SIMULATOR_LATENCY_MS), so a short wait sees PENDING. */
const AUTHORIZATION_LATENCY_MS = 100;
/** Access token lifetime of identity's default config (IDENTITY_ACCESS_TOKEN_TTL_SECONDS), in ms. */
const ACCESS_TOKEN_TTL_MS = 15 * 60 * 1000;

/** A catalog product as the REST API shows it, given how many units inventory says are available. */
function restProduct(product: Product, available: number) {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price: { amount: Number(product.price?.amountMinor), currency: product.price?.currency },
    available,
    images: [...product.images],
  };
}

describe("gateway REST API over the real services (in-process, PGlite)", () => {
  let store: TestStore;
  /** The gateway under test, waiting up to GATEWAY_CHECKOUT_WAIT_MS (5 s) for a checkout's outcome. */
  let app: HttpServer;
  /** The same gateway configured to wait only 10 ms: shorter than any card authorization. */
  let impatient: HttpServer;
  /** Where identity's clock stands relative to the wall clock, in ms. */
  let identityOffsetMs = 0;
  /** Every seeded product, in browse order. */
  const products: Product[] = [];
  /** A seeded product with plenty of stock, for carts and checkouts. */
  let product: Product;
  let price: number;
  let users = 0;
  /** Another gateway over the same services, configured with `env` on top of the defaults. */
  let gateway: (env: Record<string, string>) => Promise<HttpServer>;

  beforeAll(async () => {
    const metrics = createMetrics();
    store = await composeStore({
      clock: () => NOW,
      identityClock: () => new Date(Date.now() + identityOffsetMs),
      productCount: 60,
      paymentsLatencyMs: AUTHORIZATION_LATENCY_MS,
      metrics,
    });
    gateway = async (env: Record<string, string>) =>
      (
        await createGateway({
          config: loadConfig(GatewayConfig, { GATEWAY_PUBLIC_URL: "https://api.example.test", ...env }),
          logger: testLogger(),
          metrics,
          isReady: () => true,
          clients: store.clients,
          eventLog: store.eventLog,
        })
      ).app;
    app = await gateway({});
    impatient = await gateway({ GATEWAY_CHECKOUT_WAIT_MS: "10" });
    await Promise.all([app.ready(), impatient.ready()]);

    let cursor = "";
    do {
      const page = await store.clients.catalog.listProducts({ limit: 100, cursor });
      products.push(...page.products);
      cursor = page.nextCursor;
    } while (cursor !== "");
    expect(products).toHaveLength(60);
    const stocked = products.find((p) => (store.stockBySku.get(p.sku) ?? 0) >= 20);
    if (stocked === undefined) throw new Error("no seeded product has 20 units in stock");
    product = stocked;
    price = Number(product.price?.amountMinor);
  });
  afterAll(async () => {
    await app?.close();
    await impatient?.close();
    await store?.stop();
  });

  /** Logs `email` in (password "correct horse") and returns the access token. */
  async function login(email: string): Promise<string> {
    const response = await app.inject({
      method: "POST",
      url: "/v1/auth/login",
      payload: { email, password: "correct horse" },
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ accessToken: string }>().accessToken;
  }

  /** Registers a fresh user and returns their bearer header, id and email. */
  async function newUser() {
    users += 1;
    const email = `user${users}@example.test`;
    const registered = await app.inject({
      method: "POST",
      url: "/v1/auth/register",
      payload: { email, password: "correct horse", name: `User ${users}` },
    });
    expect(registered.statusCode).toBe(201);
    return {
      headers: { authorization: `Bearer ${await login(email)}` },
      id: registered.json<{ user: { id: string } }>().user.id,
      email,
    };
  }

  /** Units of a product the API says are available now (Cache-Control: no-cache: past the stock cache). */
  async function availableOf(productId: string): Promise<number> {
    const response = await app.inject({
      method: "GET",
      url: `/v1/products/${productId}`,
      headers: { "cache-control": "no-cache" },
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ available: number }>().available;
  }

  /** Puts `quantity` units of the stocked product in the cart of the user of `headers`. */
  async function addToCart(headers: Record<string, string>, quantity = 1): Promise<void> {
    const response = await app.inject({
      method: "POST",
      url: "/v1/cart/items",
      headers,
      payload: { productId: product.id, quantity },
    });
    expect(response.statusCode).toBe(200);
  }

  const expectProblem = (
    response: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T },
    status: number,
    code: string,
  ) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const body = response.json<{ status: number; code: string; errors?: { field: string; message: string }[] }>();
    expect(body).toMatchObject({ status, code });
    return body;
  };

  describe("auth", () => {
    it("registers (201), refuses a taken email (409), logs in and refreshes with an uncacheable Bearer pair", async () => {
      const payload = { email: "ada@example.test", password: "12345678", name: "Ada" };
      const created = await app.inject({ method: "POST", url: "/v1/auth/register", payload });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({ user: { id: anyString, email: "ada@example.test", name: "Ada" } });
      expectProblem(
        await app.inject({ method: "POST", url: "/v1/auth/register", payload }),
        409,
        "IDENTITY_EMAIL_TAKEN",
      );

      const login = await app.inject({
        method: "POST",
        url: "/v1/auth/login",
        payload: { email: payload.email, password: payload.password },
      });
      expect(login.statusCode).toBe(200);
      expect(login.headers["cache-control"]).toBe("no-store");
      const tokens = login.json<{ refreshToken: string }>();
      expect(tokens).toEqual({
        accessToken: anyString,
        refreshToken: anyString,
        tokenType: "Bearer",
        expiresIn: 900,
      });
      const refreshed = await app.inject({
        method: "POST",
        url: "/v1/auth/refresh",
        payload: { refreshToken: tokens.refreshToken },
      });
      expect(refreshed.statusCode).toBe(200);
      expect(refreshed.json()).toMatchObject({ tokenType: "Bearer" });
    });

    it("answers wrong credentials with 401 problem+json", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/v1/auth/login",
        payload: { email: "nobody@example.test", password: "x" },
      });
      expectProblem(response, 401, "IDENTITY_INVALID_CREDENTIALS");
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="souk"');
    });

    it("validates registration fields, naming each", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/v1/auth/register",
        payload: { email: "not-an-email", password: "short", name: "" },
      });
      const body = expectProblem(response, 400, "VALIDATION_FAILED");
      expect(body.errors?.map((e) => e.field).sort()).toEqual(["email", "name", "password"]);
    });

    it("serves identity's JWK Set at /.well-known/jwks.json: the key that signs its access tokens", async () => {
      const { email } = await newUser();
      const { kid } = decodeProtectedHeader(await login(email));
      const response = await app.inject({ method: "GET", url: "/.well-known/jwks.json" });
      expect(response.statusCode).toBe(200);
      expect(response.json<{ keys: { kid: string; x: string }[] }>().keys).toEqual([
        expect.objectContaining({ kid, kty: "OKP", crv: "Ed25519", x: anyString }),
      ]);
      expect(response.body).not.toContain('"d"');
    });
  });

  describe("bearer authentication", () => {
    it("answers every failure with 401 problem+json and an RFC 6750 challenge, before reading the body", async () => {
      const missing = await app.inject({ method: "POST", url: "/v1/cart/items", payload: { nonsense: true } });
      expectProblem(missing, 401, "AUTH_MISSING_TOKEN");
      expect(missing.headers["www-authenticate"]).toBe('Bearer realm="souk"');

      const garbage = await app.inject({
        method: "GET",
        url: "/v1/cart",
        headers: { authorization: "Bearer garbage.garbage.garbage" },
      });
      expectProblem(garbage, 401, "AUTH_INVALID_TOKEN");
      expect(garbage.headers["www-authenticate"]).toContain('error="invalid_token"');
      expect(garbage.body).not.toContain("garbage");

      // A token identity signed 16 minutes ago: its 15-minute lifetime is over.
      const { email, headers } = await newUser();
      identityOffsetMs = -(ACCESS_TOKEN_TTL_MS + 60_000);
      let expired: string;
      try {
        expired = await login(email);
      } finally {
        identityOffsetMs = 0;
      }
      const late = await app.inject({
        method: "GET",
        url: "/v1/orders",
        headers: { authorization: `Bearer ${expired}` },
      });
      expectProblem(late, 401, "AUTH_TOKEN_EXPIRED");
      expect(late.headers["www-authenticate"]).toContain('error="invalid_token"');
      expect((await app.inject({ method: "GET", url: "/v1/orders", headers })).statusCode).toBe(200);

      // A key identity never held, under the id of identity's real key.
      const { kid } = decodeProtectedHeader(expired);
      const foreign = await forgeAccessToken(await newForeignSigningKey(String(kid)), { sub: "U1" });
      expectProblem(
        await app.inject({ method: "GET", url: "/v1/cart", headers: { authorization: `Bearer ${foreign}` } }),
        401,
        "AUTH_INVALID_TOKEN",
      );
    });
  });

  describe("validation and content negotiation", () => {
    it("does not coerce body types: a string or boolean quantity is a 400 naming the field", async () => {
      const { headers } = await newUser();
      for (const quantity of ["2", true, 1.5, 0, 100]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/cart/items",
          headers,
          payload: { productId: product.id, quantity },
        });
        expect(expectProblem(response, 400, "VALIDATION_FAILED").errors?.map((e) => e.field)).toEqual(["quantity"]);
      }
    });

    it("lists every missing field with its full path, and rejects unknown fields", async () => {
      const { headers } = await newUser();
      const missing = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "k-missing" },
        payload: { payment: { card: { number: "4242424242424242" } }, shippingAddress: {} },
      });
      const fields = expectProblem(missing, 400, "VALIDATION_FAILED")
        .errors?.map((e) => e.field)
        .sort();
      expect(fields).toEqual([
        "payment.card.cvc",
        "payment.card.expMonth",
        "payment.card.expYear",
        "shippingAddress.city",
        "shippingAddress.country",
        "shippingAddress.line1",
        "shippingAddress.name",
        "shippingAddress.postalCode",
      ]);
      const unknown = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "k-unknown" },
        payload: { ...CHECKOUT, coupon: "FREE", payment: { card: { ...CHECKOUT.payment.card, pin: "0000" } } },
      });
      expect(expectProblem(unknown, 400, "VALIDATION_FAILED").errors).toEqual([
        { field: "coupon", message: "is not a known field" },
        { field: "payment.card.pin", message: "is not a known field" },
      ]);
    });

    it("answers malformed JSON 400, a non-JSON body 415, a body over 1 MiB 413", async () => {
      const { headers } = await newUser();
      const json = { ...headers, "content-type": "application/json" };
      expectProblem(
        await app.inject({
          method: "POST",
          url: "/v1/cart/items",
          headers: json,
          payload: `{"productId": "${product.id}",`,
        }),
        400,
        "MALFORMED_JSON",
      );
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/auth/login",
          headers: { "content-type": type },
          payload: "email=a",
        });
        expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
      }
      const huge = JSON.stringify({ email: "a@b.co", password: "x".repeat(1024 * 1024), name: "A" });
      expectProblem(
        await app.inject({ method: "POST", url: "/v1/auth/register", headers: json, payload: huge }),
        413,
        "BODY_TOO_LARGE",
      );
    });

    it("refuses control characters in text fields, query strings and path ids", async () => {
      const { headers } = await newUser();
      const name = await app.inject({
        method: "POST",
        url: "/v1/auth/register",
        payload: { email: "nul@example.test", password: "12345678", name: "a\u0000b" },
      });
      expect(expectProblem(name, 400, "VALIDATION_FAILED").errors).toEqual([
        { field: "name", message: "must not contain control characters" },
      ]);
      const query = await app.inject({ method: "GET", url: "/v1/products?q=%00" });
      expect(expectProblem(query, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("querystring.q");
      const id = await app.inject({ method: "GET", url: "/v1/orders/%1B", headers });
      expect(expectProblem(id, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("params.id");
    });

    it("validates query strings after converting them (limit 1..100), and path ids", async () => {
      expectProblem(await app.inject({ method: "GET", url: "/v1/products?limit=0" }), 400, "VALIDATION_FAILED");
      expectProblem(await app.inject({ method: "GET", url: "/v1/products?limit=abc" }), 400, "VALIDATION_FAILED");
      const first = await app.inject({ method: "GET", url: "/v1/products?limit=1" });
      expect(first.json()).toMatchObject({ items: [{ id: products[0]?.id }], nextCursor: anyString });
      const { nextCursor } = first.json<{ nextCursor: string }>();
      const second = await app.inject({
        method: "GET",
        url: `/v1/products?limit=1&cursor=${encodeURIComponent(nextCursor)}`,
      });
      expect(second.json()).toMatchObject({ items: [{ id: products[1]?.id }], nextCursor: anyString });
    });

    it("requires a visible-ASCII Idempotency-Key of 1..255 characters on checkout", async () => {
      const { headers } = await newUser();
      for (const key of [undefined, "", "has space", "é", "k".repeat(256)]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/checkout",
          headers: key === undefined ? headers : { ...headers, "idempotency-key": key },
          payload: CHECKOUT,
        });
        expect(expectProblem(response, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("headers.idempotency-key");
      }
    });
  });

  describe("catalog", () => {
    it("lists products with availability from inventory (unknown SKU → 0) and a null cursor on the last page", async () => {
      const unstocked = products.find((p) => p.sku === store.unstockedSku);
      if (unstocked === undefined) throw new Error("the unstocked product is not in the catalog");
      const category = products.filter((p) => p.category === unstocked.category);
      expect(category.length).toBeGreaterThan(1);

      const response = await app.inject({ method: "GET", url: `/v1/products?q=&category=${unstocked.category}` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        items: category.map((p) => restProduct(p, p === unstocked ? 0 : (store.stockBySku.get(p.sku) ?? -1))),
        nextCursor: null,
      });
      expect(category.some((p) => (store.stockBySku.get(p.sku) ?? 0) > 0)).toBe(true);

      const search = await app.inject({
        method: "GET",
        url: `/v1/products?q=${encodeURIComponent(unstocked.name)}&category=`,
      });
      expect(search.statusCode).toBe(200);
      expect(search.json<{ items: unknown[] }>().items[0]).toEqual(restProduct(unstocked, 0));
    });

    it("gets one product, 404 for an unknown id, lists categories, and passes service field errors through", async () => {
      expect((await app.inject({ method: "GET", url: `/v1/products/${product.id}` })).json()).toEqual(
        restProduct(product, store.stockBySku.get(product.sku) ?? -1),
      );
      expectProblem(await app.inject({ method: "GET", url: "/v1/products/nope" }), 404, "CATALOG_PRODUCT_NOT_FOUND");
      expectProblem(
        await app.inject({ method: "GET", url: "/v1/products/0190f2a0-0000-7000-8000-000000000000" }),
        404,
        "CATALOG_PRODUCT_NOT_FOUND",
      );
      const categories = (await app.inject({ method: "GET", url: "/v1/categories" })).json<{
        items: { slug: string; name: string; productCount: number }[];
      }>().items;
      const { categories: served } = await store.clients.catalog.listCategories({});
      expect(categories).toEqual(served.map((c) => ({ slug: c.slug, name: c.name, productCount: c.productCount })));
      const slugs = [...new Set(products.map((p) => p.category))];
      expect(categories).toEqual(
        expect.arrayContaining(
          slugs.map((slug) => ({
            slug,
            name: anyString,
            productCount: products.filter((p) => p.category === slug).length,
          })),
        ),
      );
      expect(categories.reduce((sum, c) => sum + c.productCount, 0)).toBe(products.length);
      const bad = await app.inject({ method: "GET", url: "/v1/products?cursor=bad" });
      expect(expectProblem(bad, 400, "CATALOG_INVALID_CURSOR").errors).toEqual([
        { field: "cursor", message: anyString },
      ]);
    });
  });

  it("reuses catalog's answer for a product page (one call for concurrent misses), never a 404", async () => {
    const getProduct = vi.spyOn(store.clients.catalog, "getProduct");
    const batchGetProducts = vi.spyOn(store.clients.catalog, "batchGetProducts");
    const cold = products.filter((p) => p.id !== product.id).at(-1) as Product;
    const askedFor = (id: string) => batchGetProducts.mock.calls.filter(([request]) => request.ids?.includes(id));
    try {
      const pages = await Promise.all(
        Array.from({ length: 5 }, () => app.inject({ method: "GET", url: `/v1/products/${cold.id}` })),
      );
      pages.push(await app.inject({ method: "GET", url: `/v1/products/${cold.id}` }));
      for (const page of pages) {
        expect(page.json()).toEqual(restProduct(cold, store.stockBySku.get(cold.sku) ?? -1));
      }
      expect(askedFor(cold.id)).toHaveLength(1);
      expect(getProduct).not.toHaveBeenCalled();

      const unknown = "0190f2a0-0000-7000-8000-00000000beef";
      for (let i = 0; i < 2; i++) {
        expectProblem(
          await app.inject({ method: "GET", url: `/v1/products/${unknown}` }),
          404,
          "CATALOG_PRODUCT_NOT_FOUND",
        );
      }
      expect(askedFor(unknown)).toHaveLength(2);
      expect(getProduct.mock.calls.filter(([request]) => request.id === unknown)).toHaveLength(2);

      // GATEWAY_PRODUCT_CACHE_TTL_MS=0: every page asks catalog.
      const uncached = await gateway({ GATEWAY_PRODUCT_CACHE_TTL_MS: "0" });
      batchGetProducts.mockClear();
      for (let i = 0; i < 3; i++) await uncached.inject({ method: "GET", url: `/v1/products/${cold.id}` });
      expect(askedFor(cold.id)).toHaveLength(3);
      await uncached.close();
    } finally {
      getProduct.mockRestore();
      batchGetProducts.mockRestore();
    }
  });

  it("reuses catalog's listing pages per query (one call for concurrent misses), keeps no errors", async () => {
    const listProducts = vi.spyOn(store.clients.catalog, "listProducts");
    const category = products.at(-1)!.category;
    const url = `/v1/products?category=${category}&limit=3`;
    try {
      const pages = await Promise.all(Array.from({ length: 4 }, () => app.inject({ method: "GET", url })));
      pages.push(await app.inject({ method: "GET", url }));
      const expected = products.filter((p) => p.category === category).slice(0, 3);
      for (const page of pages) {
        expect(page.json<{ items: unknown[] }>().items).toEqual(
          expected.map((p) => restProduct(p, store.stockBySku.get(p.sku) ?? 0)),
        );
      }
      expect(listProducts).toHaveBeenCalledTimes(1);

      // Another query, limit or cursor is another page; the same query with "" for "all" is the same page.
      await app.inject({ method: "GET", url: `/v1/products?category=${category}&limit=4` });
      await app.inject({ method: "GET", url: `/v1/products?category=${category}&limit=3&q=` });
      expect(listProducts).toHaveBeenCalledTimes(2);

      // catalog's refusal of a cursor reaches the client every time: errors are not kept.
      for (let i = 0; i < 2; i++) {
        expectProblem(await app.inject({ method: "GET", url: `${url}&cursor=bad` }), 400, "CATALOG_INVALID_CURSOR");
      }
      expect(listProducts).toHaveBeenCalledTimes(4);

      const uncached = await gateway({ GATEWAY_PRODUCT_CACHE_TTL_MS: "0" });
      listProducts.mockClear();
      for (let i = 0; i < 3; i++) await uncached.inject({ method: "GET", url });
      expect(listProducts).toHaveBeenCalledTimes(3);
      await uncached.close();

      // The cache is bounded by the products its pages hold: two pages of 60 do not fit in 100.
      const small = await gateway({ GATEWAY_LISTING_CACHE_MAX_PRODUCTS: "100" });
      listProducts.mockClear();
      for (const path of ["/v1/products?limit=60", "/v1/products?limit=59", "/v1/products?limit=59"]) {
        expect((await small.inject({ method: "GET", url: path })).statusCode).toBe(200);
      }
      expect(listProducts).toHaveBeenCalledTimes(2);
      await small.inject({ method: "GET", url: "/v1/products?limit=60" });
      expect(listProducts).toHaveBeenCalledTimes(3);
      await small.close();
    } finally {
      listProducts.mockRestore();
    }
  });

  it("keeps inventory's stock per SKU for GATEWAY_STOCK_CACHE_TTL_MS; Cache-Control: no-cache asks now; 0 asks every time", async () => {
    const getAvailability = vi.spyOn(store.clients.inventory, "getAvailability");
    const target = products.filter((p) => p.id !== product.id && p.sku !== store.unstockedSku).at(-3) as Product;
    const seeded = store.stockBySku.get(target.sku) ?? 0;
    const asked = () =>
      getAvailability.mock.calls.flatMap(([request]) => request.skus ?? []).filter((sku) => sku === target.sku).length;
    const page = (server: HttpServer, headers: Record<string, string> = {}) =>
      server.inject({ method: "GET", url: `/v1/products/${target.id}`, headers });
    const shown = async (server: HttpServer, headers: Record<string, string> = {}) =>
      (await page(server, headers)).json<{ available: number }>().available;
    const listed = async (server: HttpServer) =>
      (await server.inject({ method: "GET", url: `/v1/products?category=${target.category}&limit=100` }))
        .json<{ items: { id: string; available: number }[] }>()
        .items.find((item) => item.id === target.id)?.available;
    const kept = await gateway({ GATEWAY_STOCK_CACHE_TTL_MS: "60000" });
    const brief = await gateway({ GATEWAY_STOCK_CACHE_TTL_MS: "50" });
    const uncached = await gateway({ GATEWAY_STOCK_CACHE_TTL_MS: "0" });
    try {
      // Four concurrent pages, one after them and a listing that holds the product: one ask.
      const first = await Promise.all(Array.from({ length: 4 }, () => shown(kept)));
      expect([...first, await shown(kept), await listed(kept)]).toEqual(Array(6).fill(seeded));
      expect(asked()).toBe(1);

      // Inventory's count changes: a kept answer still shows the old one, a no-cache request the
      // new one — and keeps it for the requests after it.
      await store.clients.inventory.setStockLevels({ entries: [{ sku: target.sku, onHand: BigInt(seeded + 7) }] });
      expect(await shown(kept)).toBe(seeded);
      expect(await shown(kept, { "cache-control": "no-cache" })).toBe(seeded + 7);
      expect(await shown(kept, { "Cache-Control": "max-age=0" })).toBe(seeded + 7);
      expect(await shown(kept)).toBe(seeded + 7);
      expect(asked()).toBe(3);

      // Once the TTL has passed, inventory is asked again.
      expect(await shown(brief)).toBe(seeded + 7);
      await store.clients.inventory.setStockLevels({ entries: [{ sku: target.sku, onHand: BigInt(seeded + 1) }] });
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await shown(brief)).toBe(seeded + 1);

      // Errors are not kept: inventory refusing once fails that request only.
      getAvailability.mockRejectedValueOnce(new ConnectError("inventory is down", Code.Unavailable));
      expect((await page(uncached)).statusCode).toBe(503);
      expect(await shown(uncached)).toBe(seeded + 1);

      // GATEWAY_STOCK_CACHE_TTL_MS=0: every request asks.
      getAvailability.mockClear();
      for (let i = 0; i < 3; i++) await shown(uncached);
      expect(asked()).toBe(3);
    } finally {
      await store.clients.inventory.setStockLevels({ entries: [{ sku: target.sku, onHand: BigInt(seeded) }] });
      getAvailability.mockRestore();
      await Promise.all([kept.close(), brief.close(), uncached.close()]);
    }
  });

  it("lets shared caches keep product pages and listing pages for GATEWAY_EDGE_CACHE_SECONDS, and nothing else", async () => {
    const byDefault = await gateway({});
    const longer = await gateway({ GATEWAY_EDGE_CACHE_SECONDS: "5" });
    const off = await gateway({ GATEWAY_EDGE_CACHE_SECONDS: "0" });
    const cacheControl = async (server: HttpServer, url: string, headers: Record<string, string> = {}) => {
      const response = await server.inject({ method: "GET", url, headers });
      return [response.statusCode, response.headers["cache-control"]];
    };
    try {
      const page = `/v1/products/${product.id}`;
      const listing = `/v1/products?category=${product.category}&limit=5`;
      expect(await cacheControl(byDefault, page)).toEqual([200, "public, max-age=0, s-maxage=1"]);
      expect(await cacheControl(byDefault, listing)).toEqual([200, "public, max-age=0, s-maxage=1"]);
      expect(await cacheControl(byDefault, "/v1/products?q=guitar")).toEqual([200, "public, max-age=0, s-maxage=1"]);
      // A fresh answer is as good to keep as any.
      expect(await cacheControl(byDefault, page, { "cache-control": "no-cache" })).toEqual([
        200,
        "public, max-age=0, s-maxage=1",
      ]);
      expect(await cacheControl(longer, page)).toEqual([200, "public, max-age=0, s-maxage=5"]);
      expect(await cacheControl(off, page)).toEqual([200, undefined]);
      expect(await cacheControl(off, listing)).toEqual([200, undefined]);
      // Errors are never kept, and nothing else is marked.
      expect(await cacheControl(byDefault, `/v1/products/${randomUUID()}`)).toEqual([404, undefined]);
      expect(await cacheControl(byDefault, "/v1/products?limit=0")).toEqual([400, undefined]);
      expect(await cacheControl(byDefault, "/v1/categories")).toEqual([200, undefined]);
      expect(await cacheControl(byDefault, "/v1/cart")).toEqual([401, undefined]);
    } finally {
      await Promise.all([byDefault.close(), longer.close(), off.close()]);
    }
  });

  it.each([
    [undefined, false],
    ["no-cache", true],
    ["No-Cache", true],
    ["max-age=0", true],
    ['max-age="0"', true],
    ["private, no-cache", true],
    ["max-age=60", false],
    ["no-store", false],
    ["", false],
  ])("reads Cache-Control %j as asking for fresh stock: %s", (header, fresh) => {
    expect(asksFresh(header)).toBe(fresh);
  });

  describe("upstream reads coalesced per turn of the event loop", () => {
    it("asks inventory once for the stock of every load made in one turn, and each load gets its own SKUs", async () => {
      const getAvailability = vi.spyOn(store.clients.inventory, "getAvailability");
      try {
        const availability = availabilityLoader(store.clients.inventory);
        const stocked = products.filter((p) => p.sku !== store.unstockedSku).slice(0, 4);
        const answers = await Promise.all([
          availability([stocked[0]!.sku, stocked[1]!.sku]),
          availability([stocked[1]!.sku, store.unstockedSku]),
          availability([stocked[2]!.sku]),
          availability([stocked[3]!.sku, stocked[3]!.sku]),
          availability([]),
        ]);
        expect(getAvailability).toHaveBeenCalledTimes(1);
        const stock = (sku: string) => store.stockBySku.get(sku) ?? -1;
        expect(answers.map((answer) => Object.fromEntries(answer))).toEqual([
          { [stocked[0]!.sku]: stock(stocked[0]!.sku), [stocked[1]!.sku]: stock(stocked[1]!.sku) },
          { [stocked[1]!.sku]: stock(stocked[1]!.sku), [store.unstockedSku]: 0 },
          { [stocked[2]!.sku]: stock(stocked[2]!.sku) },
          { [stocked[3]!.sku]: stock(stocked[3]!.sku) },
          {},
        ]);
        // Loads of a later turn make a call of their own: nothing is kept.
        await availability([stocked[0]!.sku]);
        expect(getAvailability).toHaveBeenCalledTimes(2);
      } finally {
        getAvailability.mockRestore();
      }
    });

    it("asks catalog once for the products of one turn, and alone for an id the batch lacks", async () => {
      const getProduct = vi.spyOn(store.clients.catalog, "getProduct");
      const batchGetProducts = vi.spyOn(store.clients.catalog, "batchGetProducts");
      try {
        const load = productLoader(store.clients.catalog);
        const [first, second] = products;
        const unknown = "0190f2a0-0000-7000-8000-00000000f00d";
        const answers = await Promise.allSettled([
          load(first!.id),
          load(second!.id.toUpperCase()),
          load(unknown),
          load("not-a-uuid"),
          load(first!.id),
        ]);
        expect(batchGetProducts).toHaveBeenCalledTimes(1);
        expect(answers.map((a) => (a.status === "fulfilled" ? a.value.id : a.status))).toEqual([
          first!.id,
          second!.id,
          "rejected",
          "rejected",
          first!.id,
        ]);
        for (const failed of [answers[2], answers[3]]) {
          expect(failed).toMatchObject({ status: "rejected", reason: { code: Code.NotFound } });
        }
        expect(getProduct.mock.calls.map(([request]) => request.id).sort()).toEqual([unknown, "not-a-uuid"].sort());
      } finally {
        getProduct.mockRestore();
        batchGetProducts.mockRestore();
      }
    });

    it("fails every load of a turn with the batch call's error, and the next turn calls afresh", async () => {
      const nowhere = grpcClient(InventoryService, { baseUrl: "http://127.0.0.1:1", maxAttempts: 1 });
      const availability = availabilityLoader(nowhere);
      const answers = await Promise.allSettled([availability(["A"]), availability(["B", "C"])]);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: "rejected", reason: { code: Code.Unavailable } });
      }
      await expect(availability(["A"])).rejects.toMatchObject({ code: Code.Unavailable });
    });
  });

  describe("cart, checkout and orders", () => {
    it("edits the caller's own cart only", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const added = await app.inject({
        method: "POST",
        url: "/v1/cart/items",
        headers: alice.headers,
        payload: { productId: product.id, quantity: 2 },
      });
      expect(added.statusCode).toBe(200);
      expect(added.json()).toEqual({
        items: [
          {
            productId: product.id,
            name: product.name,
            quantity: 2,
            unitPrice: { amount: price, currency: "USD" },
            lineTotal: { amount: 2 * price, currency: "USD" },
          },
        ],
        total: { amount: 2 * price, currency: "USD" },
      });
      const updated = await app.inject({
        method: "PUT",
        url: `/v1/cart/items/${product.id}`,
        headers: alice.headers,
        payload: { quantity: 3 },
      });
      expect(updated.json()).toMatchObject({ total: { amount: 3 * price } });
      expect((await app.inject({ method: "GET", url: "/v1/cart", headers: bob.headers })).json()).toEqual({
        items: [],
        total: { amount: 0, currency: "USD" },
      });
      expectProblem(
        await app.inject({ method: "DELETE", url: `/v1/cart/items/${product.id}`, headers: bob.headers }),
        404,
        "CART_LINE_NOT_FOUND",
      );
      expectProblem(
        await app.inject({
          method: "POST",
          url: "/v1/cart/items",
          headers: alice.headers,
          payload: { productId: "nope", quantity: 1 },
        }),
        404,
        "CART_PRODUCT_NOT_FOUND",
      );
      const removed = await app.inject({
        method: "DELETE",
        url: `/v1/cart/items/${product.id}`,
        headers: alice.headers,
      });
      expect(removed.json()).toMatchObject({ items: [] });
    });

    it("checks out (201, Location), replays the same key and body, refuses the key with another body (422)", async () => {
      const { headers } = await newUser();
      const before = await availableOf(product.id);
      await addToCart(headers);
      const request = {
        method: "POST" as const,
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "order-1" },
        payload: CHECKOUT,
      };
      const first = await app.inject(request);
      expect(first.statusCode).toBe(201);
      const { order } = first.json<{ order: { id: string } }>();
      expect(first.headers["location"]).toBe(`/v1/orders/${order.id}`);
      expect(first.headers["idempotent-replayed"]).toBeUndefined();
      expect(order).toEqual({
        id: anyString,
        status: "CONFIRMED",
        total: { amount: price, currency: "USD" },
        lines: [
          {
            productId: product.id,
            sku: product.sku,
            name: product.name,
            quantity: 1,
            unitPrice: { amount: price, currency: "USD" },
            lineTotal: { amount: price, currency: "USD" },
          },
        ],
        shippingAddress: CHECKOUT.shippingAddress,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
      });
      // The saga really ran, for the token's user: stock committed, their cart emptied, the order theirs.
      expect(await availableOf(product.id)).toBe(before - 1);
      expect((await app.inject({ method: "GET", url: "/v1/cart", headers })).json()).toMatchObject({ items: [] });
      expect((await app.inject({ method: "GET", url: "/v1/orders", headers })).json()).toMatchObject({
        items: [{ id: order.id }],
      });

      const replay = await app.inject(request);
      expect(replay.statusCode).toBe(201);
      expect(replay.headers["idempotent-replayed"]).toBe("true");
      expect(replay.json()).toEqual(first.json());
      expect(await availableOf(product.id)).toBe(before - 1);

      const other = { ...CHECKOUT, shippingAddress: { ...CHECKOUT.shippingAddress, city: "Lyon" } };
      expectProblem(await app.inject({ ...request, payload: other }), 422, "ORDERS_IDEMPOTENCY_KEY_REUSED");
    });

    it("answers 202 while PENDING, 201 with the reason when CANCELLED, and renames service field paths to the REST body's", async () => {
      const { headers } = await newUser();
      const checkout = (
        gateway: HttpServer,
        key: string,
        card: Partial<typeof CHECKOUT.payment.card>,
        address: Partial<typeof CHECKOUT.shippingAddress> = {},
      ) =>
        gateway.inject({
          method: "POST",
          url: "/v1/checkout",
          headers: { ...headers, "idempotency-key": key },
          payload: {
            payment: { card: { ...CHECKOUT.payment.card, ...card } },
            shippingAddress: { ...CHECKOUT.shippingAddress, ...address },
          },
        });

      // The impatient gateway waits 10 ms; the card authorization alone takes 100 ms.
      await addToCart(headers);
      const pending = await checkout(impatient, "p", {});
      expect(pending.statusCode).toBe(202);
      const { id } = pending.json<{ order: { id: string } }>().order;
      expect(pending.json()).toMatchObject({ order: { id, status: "PENDING" } });
      expect(pending.headers["location"]).toBe(`/v1/orders/${id}`);
      // The saga goes on after the answer: the order confirms and its last step empties the cart.
      await vi.waitFor(
        async () => {
          const order = await app.inject({ method: "GET", url: `/v1/orders/${id}`, headers });
          expect(order.json()).toMatchObject({ order: { status: "CONFIRMED" } });
          const cart = await app.inject({ method: "GET", url: "/v1/cart", headers });
          expect(cart.json()).toMatchObject({ items: [] });
        },
        { timeout: 10_000, interval: 50 },
      );

      await addToCart(headers);
      const before = await availableOf(product.id);
      const declined = await checkout(app, "d", { number: "4000000000000002" });
      expect(declined.statusCode).toBe(201);
      expect(declined.json()).toMatchObject({ order: { status: "CANCELLED", cancellationReason: "card_declined" } });
      expect(await availableOf(product.id)).toBe(before);

      const invalid = expectProblem(
        await checkout(app, "i", { number: "4000000000000000", expYear: 2020 }),
        400,
        "PAYMENTS_INVALID_CARD",
      );
      expect(invalid.errors?.map((e) => e.field)).toEqual(["payment.card.number", "payment.card.expYear"]);
      const address = expectProblem(
        await checkout(app, "a", {}, { postalCode: "   " }),
        400,
        "ORDERS_INVALID_CHECKOUT",
      );
      expect(address.errors?.map((e) => e.field)).toEqual(["shippingAddress.postalCode"]);
    });

    it("lists, gets and cancels the caller's orders; another user's order is a 404", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const before = await availableOf(product.id);
      await addToCart(alice.headers);
      const placed = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...alice.headers, "idempotency-key": "a" },
        payload: CHECKOUT,
      });
      expect(placed.statusCode).toBe(201);
      const { id } = placed.json<{ order: { id: string } }>().order;
      expect(await availableOf(product.id)).toBe(before - 1);

      const list = await app.inject({ method: "GET", url: "/v1/orders?limit=10", headers: alice.headers });
      expect(list.json()).toMatchObject({ items: [{ id }], nextCursor: null });
      expect(
        (await app.inject({ method: "GET", url: `/v1/orders/${id}`, headers: alice.headers })).json(),
      ).toMatchObject({ order: { id } });
      expectProblem(
        await app.inject({ method: "GET", url: `/v1/orders/${id}`, headers: bob.headers }),
        404,
        "ORDERS_NOT_FOUND",
      );
      expectProblem(
        await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: bob.headers }),
        404,
        "ORDERS_NOT_FOUND",
      );
      expect((await app.inject({ method: "GET", url: "/v1/orders", headers: bob.headers })).json()).toEqual({
        items: [],
        nextCursor: null,
      });

      const cancelled = await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: alice.headers });
      expect(cancelled.json()).toMatchObject({ order: { id, status: "REFUNDED" } });
      expect(await availableOf(product.id)).toBe(before);
      expectProblem(
        await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: alice.headers }),
        409,
        "ORDERS_NOT_CANCELLABLE",
      );
    });
  });

  describe("documentation and operations", () => {
    it("serves an OpenAPI 3.1 document of the /v1 API with tags, operationIds, bearer security and problem responses", async () => {
      const response = await app.inject({ method: "GET", url: "/openapi.json" });
      expect(response.statusCode).toBe(200);
      const doc = response.json<{
        openapi: string;
        servers: { url: string }[];
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              tags: string[];
              security?: unknown;
              responses: Record<string, { content?: Record<string, unknown> }>;
              parameters?: { name: string; in: string; required?: boolean }[];
            }
          >
        >;
        components: { securitySchemes: Record<string, unknown> };
      }>();
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers).toEqual([{ url: "https://api.example.test" }]);
      expect(Object.keys(doc.paths).sort()).toEqual([
        "/.well-known/jwks.json",
        "/v1/admin/analytics/cancellation-reasons",
        "/v1/admin/analytics/event-lag",
        "/v1/admin/analytics/rebuild",
        "/v1/admin/analytics/summary",
        "/v1/admin/analytics/timeseries",
        "/v1/admin/analytics/top-products",
        "/v1/admin/dead-letters",
        "/v1/admin/dead-letters/{id}/replay",
        "/v1/admin/orders/{id}/deliveries",
        "/v1/admin/webhook-endpoints",
        "/v1/admin/webhook-endpoints/{id}",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/register",
        "/v1/cart",
        "/v1/cart/items",
        "/v1/cart/items/{productId}",
        "/v1/categories",
        "/v1/checkout",
        "/v1/orders",
        "/v1/orders/{id}",
        "/v1/orders/{id}/cancel",
        "/v1/orders/{id}/events",
        "/v1/products",
        "/v1/products/{id}",
      ]);
      const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
      expect(new Set(operations.map((o) => o.operationId)).size).toBe(28);
      expect(
        operations.every(
          (o) => o.tags.length === 1 && o.responses["400"]?.content?.["application/problem+json"] !== undefined,
        ),
      ).toBe(true);
      expect(doc.components.securitySchemes).toEqual({
        bearerAuth: bearerScheme,
      });
      const checkout = doc.paths["/v1/checkout"]!["post"]!;
      expect(checkout.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(checkout.responses)).toEqual(
        expect.arrayContaining(["201", "202", "401", "409", "413", "415", "422"]),
      );
      expect(checkout.parameters).toContainEqual(
        expect.objectContaining({ name: "idempotency-key", in: "header", required: true }),
      );
      expect(doc.paths["/v1/products"]!["get"]!.security).toBeUndefined();
    });

    it("serves Swagger UI and its assets from the package, and the platform's probes", async () => {
      const docs = await app.inject({ method: "GET", url: "/docs" });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers["content-type"]).toMatch(/^text\/html/);
      expect((await app.inject({ method: "GET", url: "/docs/static/swagger-ui.css" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/metrics" })).body).toContain("souk_http_requests_total");
    });

    it("answers an unknown route with a 404 problem", async () => {
      expectProblem(await app.inject({ method: "GET", url: "/v1/nope" }), 404, "ROUTE_NOT_FOUND");
    });
  });

  describe("rate limiting", () => {
    const limited = async (env: Record<string, string>, redis?: Redis) => {
      const { app: limitedApp } = await createGateway({
        config: loadConfig(GatewayConfig, { GATEWAY_RATE_LIMIT_PER_IP: "3", GATEWAY_RATE_LIMIT_PER_USER: "2", ...env }),
        logger: testLogger(),
        metrics: createMetrics(),
        isReady: () => true,
        clients: store.clients,
        eventLog: store.eventLog,
        ...(redis === undefined ? {} : { redis }),
      });
      await limitedApp.ready();
      return limitedApp;
    };

    it("answers 429 problem+json with Retry-After past the per-IP limit", async () => {
      const limitedApp = await limited({});
      try {
        for (let i = 0; i < 3; i += 1) {
          expect((await limitedApp.inject({ method: "GET", url: "/v1/categories" })).statusCode).toBe(200);
        }
        const refused = await limitedApp.inject({ method: "GET", url: "/v1/categories" });
        expectProblem(refused, 429, "RATE_LIMITED");
        expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
        // Probes are outside the API's limits: an orchestrator must always reach them.
        expect((await limitedApp.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      } finally {
        await limitedApp.close();
      }
    });

    it("counts a signed-in user on their own budget, not the IP's", async () => {
      const limitedApp = await limited({});
      try {
        const { headers } = await newUser();
        const asUser = () => limitedApp.inject({ method: "GET", url: "/v1/cart", headers });
        expect((await asUser()).statusCode).toBe(200);
        expect((await asUser()).statusCode).toBe(200);
        expectProblem(await asUser(), 429, "RATE_LIMITED");
        // The anonymous budget of the same IP is untouched.
        expect((await limitedApp.inject({ method: "GET", url: "/v1/categories" })).statusCode).toBe(200);
      } finally {
        await limitedApp.close();
      }
    });

    // 0: every request counted in Redis at once (the plugin's RedisStore); 100: requests below half
    // the limit counted in each process and synced (`syncedRateLimitStore`; a limit of 3 has none).
    it.each(["0", "100"])("shares the counters between replicas through Redis (sync every %s ms)", async (syncMs) => {
      const url = process.env["REDIS_URL"] ?? "redis://127.0.0.1:56379";
      const redis = openRedis(url, testLogger(), { keyPrefix: `test:gateway:${randomUUID()}:` });
      try {
        await waitForRedis(redis).catch((error: unknown) => {
          throw new Error(`this test needs Redis at ${url}: run \`npm run services\` or set REDIS_URL`, {
            cause: error,
          });
        });
        const env = { GATEWAY_RATE_LIMIT_SYNC_MS: syncMs };
        const replicas = [await limited(env, redis), await limited(env, redis)];
        const statuses: number[] = [];
        for (let i = 0; i < 4; i += 1) {
          statuses.push((await replicas[i % 2]!.inject({ method: "GET", url: "/v1/categories" })).statusCode);
        }
        expect(statuses).toEqual([200, 200, 200, 429]);
        await Promise.all(replicas.map((r) => r.close()));
      } finally {
        await closeRedis(redis);
      }
    });
  });
});
