// runShop end to end against a small in-memory fake of the public REST API (the real store joins
// in test/ once it runs): it checks the crowd's bookkeeping, bounds, determinism and TLS handling.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runShop, type ShopOptions } from "./shop.ts";

interface FakeProduct {
  id: string;
  name: string;
  category: string;
  stock: number;
}

interface FakeOrder {
  id: string;
  status: "PENDING" | "CONFIRMED" | "CANCELLED" | "REFUNDED";
  lines: { productId: string; quantity: number }[];
  cancellationReason?: string;
}

const CATALOG: readonly FakeProduct[] = [
  { id: "p1", name: "Berber Wool Rug", category: "rugs", stock: 40 },
  { id: "p2", name: "Kilim Runner", category: "rugs", stock: 30 },
  { id: "p3", name: "Mint Green Tea", category: "tea", stock: 60 },
  { id: "p4", name: "Saffron Tea Blend", category: "tea", stock: 25 },
  { id: "p5", name: "Brass Lantern", category: "lamps", stock: 20 },
  { id: "p6", name: "Moroccan Pendant Lamp", category: "lamps", stock: 15 },
  { id: "p7", name: "Sold Out Leather Pouf", category: "lamps", stock: 0 },
  { id: "p8", name: "Last Silver Teapot", category: "tea", stock: 1 },
];

const DECLINES: Record<string, string> = {
  "4000000000000002": "card_declined",
  "4000000000009995": "insufficient_funds",
  "4100000000000019": "fraud",
  "4000000000000119": "processing_error",
};

const PRICE = { amount: 1999, currency: "MAD" };

class Problem extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

/** A fake Souk gateway: just enough of /v1 to walk a journey, strict about what it is sent. */
async function startFakeStore(options: {
  failLogin?: (email: string) => boolean;
  throttleEvery?: number;
  tls?: { key: Buffer; cert: Buffer };
}) {
  const products = new Map(CATALOG.map((p) => [p.id, { ...p }]));
  const users = new Map<string, string>();
  const tokens = new Map<string, string>();
  const refreshTokens = new Map<string, string>();
  const carts = new Map<string, Map<string, number>>();
  const orders = new Map<string, FakeOrder & { email: string }>();
  const keys = new Map<string, string>();
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0, paths: new Set<string>() };
  let sequence = 0;

  const productDto = (p: FakeProduct) => ({
    id: p.id,
    sku: `SKU-${p.id}`,
    name: p.name,
    description: `${p.name}, handmade.`,
    category: p.category,
    price: PRICE,
    available: p.stock,
    images: [],
  });
  const cartDto = (email: string) => {
    const items = [...(carts.get(email) ?? new Map<string, number>())].map(([productId, quantity]) => ({
      productId,
      name: products.get(productId)?.name ?? "",
      quantity,
      unitPrice: PRICE,
      lineTotal: { amount: PRICE.amount * quantity, currency: PRICE.currency },
    }));
    const total = items.reduce((sum, line) => sum + line.lineTotal.amount, 0);
    return { items, total: { amount: total, currency: PRICE.currency } };
  };
  const orderDto = (o: FakeOrder) => ({
    id: o.id,
    status: o.status,
    total: PRICE,
    lines: [],
    ...(o.cancellationReason ? { cancellationReason: o.cancellationReason } : {}),
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  });
  const issueTokens = (email: string) => {
    sequence += 1;
    tokens.set(`at-${sequence}`, email);
    refreshTokens.set(`rt-${sequence}`, email);
    return { accessToken: `at-${sequence}`, refreshToken: `rt-${sequence}`, tokenType: "Bearer", expiresIn: 900 };
  };

  function route(method: string, url: URL, headers: IncomingMessage["headers"], body: Record<string, unknown>) {
    const path = url.pathname;
    const user = () => {
      const email = tokens.get((headers.authorization ?? "").replace(/^Bearer /, ""));
      if (email === undefined) throw new Problem(401, "UNAUTHENTICATED");
      return email;
    };
    const cartOf = (email: string): Map<string, number> => {
      const cart = carts.get(email) ?? new Map<string, number>();
      carts.set(email, cart);
      return cart;
    };
    const product = (id: string) => {
      const p = products.get(decodeURIComponent(id));
      if (p === undefined) throw new Problem(404, "CATALOG_PRODUCT_NOT_FOUND");
      return p;
    };
    let m: RegExpMatchArray | null;
    if (method === "POST" && path === "/v1/auth/register") {
      const email = String(body.email);
      if (!/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(email) || String(body.password).length < 8 || !body.name) {
        throw new Problem(400, "VALIDATION_FAILED");
      }
      if (users.has(email)) throw new Problem(409, "IDENTITY_EMAIL_TAKEN");
      users.set(email, String(body.password));
      return [201, { user: { id: `u-${users.size}`, email, name: body.name } }] as const;
    }
    if (method === "POST" && path === "/v1/auth/login") {
      const email = String(body.email);
      if (options.failLogin?.(email)) throw new Problem(500, "INTERNAL");
      if (users.get(email) !== body.password) throw new Problem(401, "IDENTITY_BAD_CREDENTIALS");
      return [200, issueTokens(email)] as const;
    }
    if (method === "POST" && path === "/v1/auth/refresh") {
      const email = refreshTokens.get(String(body.refreshToken));
      if (email === undefined) throw new Problem(401, "IDENTITY_BAD_REFRESH_TOKEN");
      refreshTokens.delete(String(body.refreshToken));
      return [200, issueTokens(email)] as const;
    }
    if (method === "GET" && path === "/v1/categories") {
      const slugs = [...new Set(CATALOG.map((p) => p.category))];
      const items = slugs.map((slug) => ({
        slug,
        name: slug,
        productCount: CATALOG.filter((p) => p.category === slug).length,
      }));
      return [200, { items }] as const;
    }
    if (method === "GET" && path === "/v1/products") {
      const q = (url.searchParams.get("q") ?? "").toLowerCase().slice(0, 3);
      const category = url.searchParams.get("category");
      const limit = Number(url.searchParams.get("limit") ?? "20");
      const offset = Number(url.searchParams.get("cursor") ?? "0");
      const all = [...products.values()].filter(
        (p) => (category === null || p.category === category) && p.name.toLowerCase().includes(q),
      );
      const next = offset + limit < all.length ? String(offset + limit) : null;
      return [200, { items: all.slice(offset, offset + limit).map(productDto), nextCursor: next }] as const;
    }
    if (method === "GET" && (m = path.match(/^\/v1\/products\/([^/]+)$/)))
      return [200, productDto(product(m[1] ?? ""))] as const;
    if (method === "GET" && path === "/v1/cart") return [200, cartDto(user())] as const;
    if (method === "POST" && path === "/v1/cart/items") {
      const email = user();
      const p = product(String(body.productId));
      const cart = cartOf(email);
      const quantity = (cart.get(p.id) ?? 0) + Number(body.quantity);
      if (quantity > p.stock) throw new Problem(409, "CART_INSUFFICIENT_STOCK");
      cart.set(p.id, quantity);
      return [200, cartDto(email)] as const;
    }
    if ((m = path.match(/^\/v1\/cart\/items\/([^/]+)$/)) && (method === "PUT" || method === "DELETE")) {
      const email = user();
      const p = product(m[1] ?? "");
      const cart = cartOf(email);
      if (!cart.has(p.id)) throw new Problem(404, "CART_LINE_NOT_FOUND");
      if (method === "DELETE") cart.delete(p.id);
      else if (Number(body.quantity) > p.stock) throw new Problem(409, "CART_INSUFFICIENT_STOCK");
      else cart.set(p.id, Number(body.quantity));
      return [200, cartDto(email)] as const;
    }
    if (method === "POST" && path === "/v1/checkout") {
      const email = user();
      const key = headers["idempotency-key"];
      const payment = body.payment as { card?: { number?: string; expYear?: number; cvc?: string } } | undefined;
      const address = body.shippingAddress as { country?: string; postalCode?: string } | undefined;
      if (typeof key !== "string" || !payment?.card?.number || !/^[A-Z]{2}$/.test(address?.country ?? "")) {
        throw new Problem(400, "VALIDATION_FAILED");
      }
      const replayed = keys.get(`${email} ${key}`);
      if (replayed !== undefined) {
        const o = orders.get(replayed);
        if (o === undefined) throw new Problem(500, "INTERNAL");
        return [o.status === "PENDING" ? 202 : 201, { order: orderDto(o) }] as const;
      }
      const cart = cartOf(email);
      if (cart.size === 0) throw new Problem(409, "ORDERS_EMPTY_CART");
      const lines = [...cart].map(([productId, quantity]) => ({ productId, quantity }));
      const reason = DECLINES[payment.card.number];
      if (reason === undefined && lines.some((l) => (products.get(l.productId)?.stock ?? 0) < l.quantity)) {
        throw new Problem(409, "ORDERS_INSUFFICIENT_STOCK");
      }
      const order: FakeOrder & { email: string } = {
        id: `o-${orders.size + 1}`,
        email,
        lines,
        status: reason === undefined ? "PENDING" : "CANCELLED",
        ...(reason === undefined ? {} : { cancellationReason: reason }),
      };
      if (reason === undefined) for (const l of lines) (products.get(l.productId) ?? { stock: 0 }).stock -= l.quantity;
      orders.set(order.id, order);
      keys.set(`${email} ${key}`, order.id);
      carts.delete(email);
      return [order.status === "PENDING" ? 202 : 201, { order: orderDto(order) }] as const;
    }
    if (method === "GET" && path === "/v1/orders") {
      const email = user();
      const items = [...orders.values()].filter((o) => o.email === email).map(orderDto);
      return [200, { items, nextCursor: null }] as const;
    }
    if ((m = path.match(/^\/v1\/orders\/([^/]+)(\/cancel)?$/))) {
      const o = orders.get(decodeURIComponent(m[1] ?? ""));
      if (o === undefined || o.email !== user()) throw new Problem(404, "ORDERS_NOT_FOUND");
      if (method === "GET" && m[2] === undefined) {
        if (o.status === "PENDING") o.status = "CONFIRMED"; // the saga finishes while the customer polls
        return [200, { order: orderDto(o) }] as const;
      }
      if (method === "POST" && m[2] === "/cancel") {
        if (o.status !== "CONFIRMED") throw new Problem(409, "ORDERS_NOT_CANCELLABLE");
        o.status = "REFUNDED";
        for (const l of o.lines) (products.get(l.productId) ?? { stock: 0 }).stock += l.quantity;
        return [200, { order: orderDto(o) }] as const;
      }
    }
    throw new Problem(404, "NOT_FOUND");
  }

  const handler = (request: IncomingMessage, response: ServerResponse) => {
    stats.requests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://fake");
      stats.paths.add(url.pathname);
      let status: number;
      let payload: unknown;
      try {
        if (options.throttleEvery !== undefined && stats.requests % options.throttleEvery === 0) {
          response.setHeader("retry-after", "0");
          throw new Problem(429, "RATE_LIMITED");
        }
        const text = Buffer.concat(chunks).toString("utf8");
        const body = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
        [status, payload] = route(request.method ?? "GET", url, request.headers, body);
        response.setHeader("content-type", "application/json");
      } catch (error) {
        const problem = error instanceof Problem ? error : new Problem(500, "INTERNAL");
        status = problem.status;
        payload = { type: "urn:x", title: "t", status, detail: problem.code.toLowerCase(), code: problem.code };
        response.setHeader("content-type", "application/problem+json");
      }
      // Answer on a later turn, so journeys really overlap.
      setTimeout(() => {
        stats.inFlight -= 1;
        response.statusCode = status;
        response.end(JSON.stringify(payload));
      }, 1);
    });
  };

  const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    stats,
    users,
    orders,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function fakeStore(options: Parameters<typeof startFakeStore>[0] = {}) {
  const store = await startFakeStore(options);
  closers.push(store.close);
  return store;
}

const noWait = async () => {};
const options = (baseUrl: string, overrides: Partial<ShopOptions> = {}): ShopOptions => ({
  customers: 20,
  concurrency: 4,
  baseUrl,
  seed: 1,
  insecure: false,
  help: false,
  ...overrides,
});

describe("runShop", () => {
  it("runs every customer once within the concurrency and accounts for every request and order", async () => {
    const store = await fakeStore({ failLogin: (email) => email.endsWith("-3@example.com"), throttleEvery: 25 });
    const lines: string[] = [];
    const summary = await runShop(options(store.baseUrl), { log: (line) => lines.push(line) }, { sleep: noWait });

    expect(summary.customers).toBe(20);
    expect(summary.completedCustomers).toBe(19);
    expect(summary.failedCustomers).toBe(1);
    expect(summary.failures).toEqual([
      { customer: 3, step: "login", message: "500 INTERNAL from POST /v1/auth/login: internal" },
    ]);
    expect(summary.serverErrors.count).toBe(1);
    expect(summary.serverErrors.samples[0]).toMatchObject({ method: "POST", route: "/v1/auth/login", status: 500 });
    expect(lines).toContain("shop: 20/20 customers done (1 failed)");
    expect(lines.some((line) => line.includes("customer #3 failed at login"))).toBe(true);

    // Bounded: one email per customer, never more requests in flight than customers shopping.
    expect(store.users.size).toBe(20);
    expect([...store.users.keys()].every((email) => email.startsWith(`shopper-${summary.runId}-`))).toBe(true);
    expect(store.stats.maxInFlight).toBeLessThanOrEqual(4);
    expect([...store.stats.paths].every((path) => path.startsWith("/v1/"))).toBe(true);

    // Every request is counted and timed; 429s were retried and did not fail anyone.
    expect(summary.requests).toBe(store.stats.requests);
    const timed = Object.values(summary.latency).reduce((sum, l) => sum + l.count, 0);
    expect(timed).toBe(summary.requests);
    expect(summary.errorsByStatus["429"]).toBeGreaterThan(0);
    expect(summary.latency.checkout.count).toBeGreaterThan(0);

    // Orders: every placed order is accounted for, and each card ended where it should.
    const { orders } = summary;
    const cancelled = Object.values(orders.cancelledByReason).reduce((a, b) => a + b, 0);
    expect(orders.placed).toBe(store.orders.size);
    expect(orders.placed).toBe(orders.confirmed + cancelled + orders.stillPending);
    expect(orders.refunded).toBe([...store.orders.values()].filter((o) => o.status === "REFUNDED").length);
    expect(orders.confirmed).toBeGreaterThan(0);
    expect(orders.idempotencyMismatches).toBe(0);
    for (const [card, outcomes] of Object.entries(orders.byCard)) {
      const allowed = card === "success" ? ["CONFIRMED", "REFUNDED", "rejected"] : ["CANCELLED", "rejected"];
      expect(Object.keys(outcomes).every((outcome) => allowed.includes(outcome))).toBe(true);
    }
    expect(Object.keys(orders.cancelledByReason).every((reason) => Object.values(DECLINES).includes(reason))).toBe(
      true,
    );
  });

  it("makes the same choices for the same seed", async () => {
    const run = async (seed: number) => {
      const store = await fakeStore();
      const summary = await runShop(
        options(store.baseUrl, { customers: 8, concurrency: 1, seed }),
        { log: () => {} },
        { sleep: noWait, runId: "fixed" },
      );
      expect(summary.completedCustomers).toBe(8);
      return { orders: summary.orders, shopping: summary.shopping, requests: summary.requests };
    };
    const first = await run(5);
    expect(await run(5)).toEqual(first);
    expect(await run(6)).not.toEqual(first);
  });

  it("accepts a self-signed certificate only with --insecure", async () => {
    let dir: string | undefined;
    let tls: { key: Buffer; cert: Buffer };
    try {
      dir = mkdtempSync(join(tmpdir(), "souk-shop-tls-"));
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
          .concat(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
          .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
        { stdio: "ignore" },
      );
      tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
    const store = await fakeStore({ tls });

    const trusting = await runShop(options(store.baseUrl, { customers: 3, insecure: true }), { log: () => {} });
    expect(trusting.completedCustomers).toBe(3);

    const strict = await runShop(options(store.baseUrl, { customers: 3 }), { log: () => {} });
    expect(strict.failedCustomers).toBe(3);
    expect(strict.errorsByStatus).toEqual({ network: 3 });
    expect(strict.failures[0]?.step).toBe("register");
  });
});
