import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../../apps/souk/src/shop/seeded-random.ts";
import {
  APPROVED_CARD,
  cardOfCustomer,
  createShopperOperations,
  DECLINED_CARD,
  orderOf,
  resultOf,
  SHOPPER_MIX,
  type BenchCustomer,
  type HttpClient,
  type HttpRequest,
  type ShopperData,
} from "./shopper.operations.ts";

/** A fake store: records requests; checkout answers CONFIRMED unless the card is the declined one. */
function fakeStore() {
  const requests: HttpRequest[] = [];
  const http: HttpClient = {
    async request(request) {
      requests.push(request);
      await sleep(1);
      if (request.path === "/v1/checkout") {
        const card = (JSON.parse(request.body ?? "{}") as { payment: { card: { number: string } } }).payment.card
          .number;
        const status = card === DECLINED_CARD ? "CANCELLED" : "CONFIRMED";
        return { status: 201, body: JSON.stringify({ order: { id: "o1", status } }) };
      }
      return { status: request.method === "POST" ? 201 : 200, body: "" };
    },
  };
  return { http, requests };
}

const customer = (email: string, card = APPROVED_CARD, lines: string[] = []): BenchCustomer => ({
  email,
  token: `token-${email}`,
  card,
  lines,
});

function data(overrides: Partial<ShopperData> = {}): ShopperData {
  return {
    productIds: ["p1", "p2"],
    stockedProductIds: ["s1", "s2"],
    categories: ["books"],
    searchTerms: ["tea", "hedphones"],
    checkoutCustomers: [customer("c@x", APPROVED_CARD, ["s1"])],
    cartCustomers: [customer("k@x")],
    ...overrides,
  };
}

const never = new AbortController().signal;

describe("the shopper mix", () => {
  it("is ~65% browse and product pages, ~15% search, ~15% cart, ~5% checkout", () => {
    const weight = (kinds: string[]) =>
      SHOPPER_MIX.filter((w) => kinds.includes(w.value)).reduce((sum, w) => sum + w.weight, 0);
    expect(weight(["product", "browse", "categories"])).toBe(65);
    expect(weight(["search"])).toBe(15);
    expect(weight(["cart"])).toBe(15);
    expect(weight(["checkout"])).toBe(5);
  });

  it("draws operations in those proportions", () => {
    const { http } = fakeStore();
    const ops = createShopperOperations(http, data(), createSeededRandom(1));
    const next = ops.pickerOf("mix");
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20_000; i += 1) {
      const kind = next().kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    expect((counts["product"] ?? 0) / 20_000).toBeCloseTo(0.45, 1);
    expect((counts["search"] ?? 0) / 20_000).toBeCloseTo(0.15, 1);
    expect((counts["checkout"] ?? 0) / 20_000).toBeCloseTo(0.05, 1);
  });

  it("pays with a declined card one customer in ten", () => {
    expect(Array.from({ length: 20 }, (_, i) => cardOfCustomer(i)).filter((c) => c === DECLINED_CARD)).toHaveLength(2);
  });
});

describe("the operations", () => {
  it("reads product pages, listings and searches with GET, discarding bodies", async () => {
    const { http, requests } = fakeStore();
    const ops = createShopperOperations(http, data(), createSeededRandom(1));
    for (const scenario of ["product", "browse", "search"] as const) {
      expect(await ops.pickerOf(scenario)().run(never)).toEqual({ ok: true, status: "200" });
    }
    expect(requests.map((r) => r.path)).toEqual([
      expect.stringMatching(/^\/v1\/products\/p[12]$/),
      "/v1/products?category=books&limit=12",
      expect.stringMatching(/^\/v1\/products\?q=(tea|hedphones)&limit=10$/),
    ]);
  });

  it("keeps carts small: adds while under two lines, then removes the oldest", async () => {
    const { http, requests } = fakeStore();
    const shopper = customer("k@x");
    const ops = createShopperOperations(http, data({ cartCustomers: [shopper] }), createSeededRandom(1));
    const cart = ops.pickerOf("cart")();
    for (let i = 0; i < 4; i += 1) await cart.run(never);
    expect(requests.map((r) => r.method)).toEqual(["POST", "POST", "DELETE", "POST"]);
    expect(requests[0]?.headers?.["authorization"]).toBe("Bearer token-k@x");
    expect(shopper.lines).toHaveLength(2);
  });

  it("remembers a product added twice as one line, as the store keeps it", async () => {
    // A store with one line per product: a repeated product adds to its line's quantity.
    const lines = new Map<string, number>();
    const http: HttpClient = {
      async request(request) {
        if (request.method === "POST") {
          const { productId } = JSON.parse(request.body ?? "{}") as { productId: string };
          lines.set(productId, (lines.get(productId) ?? 0) + 1);
          return { status: 201, body: "" };
        }
        if (!lines.delete(decodeURIComponent(request.path.split("/").pop() ?? ""))) {
          return { status: 404, body: '{"code":"CART_LINE_NOT_FOUND"}' };
        }
        return { status: 204, body: "" };
      },
    };
    const shopper = customer("k@x");
    // Two stocked products: the random picks repeat one often.
    const ops = createShopperOperations(http, data({ cartCustomers: [shopper] }), createSeededRandom(1));
    const cart = ops.pickerOf("cart")();
    const statuses = new Set<string>();
    for (let i = 0; i < 40; i += 1) statuses.add((await cart.run(never)).status);
    // Never a 404: the bench removes only lines the store has, and knows them all.
    expect([...statuses].sort()).toEqual(["201", "204"]);
    expect(shopper.lines).toEqual([...lines.keys()]);
  });

  it("reads the cart back after a change that got no answer, instead of removing a line it only believes in", async () => {
    // A store that holds the lines; the first DELETE is applied but its answer never arrives (an abort).
    const lines = ["s1", "s2"];
    const requests: HttpRequest[] = [];
    let deletes = 0;
    const http: HttpClient = {
      async request(request) {
        requests.push(request);
        if (request.method === "GET") {
          return { status: 200, body: JSON.stringify({ items: lines.map((productId) => ({ productId })) }) };
        }
        if (request.method === "POST") {
          // One line per product, as the store keeps them (a repeat adds to the quantity).
          const { productId } = JSON.parse(request.body ?? "{}") as { productId: string };
          if (!lines.includes(productId)) lines.push(productId);
          return { status: 201, body: "" };
        }
        const productId = decodeURIComponent(request.path.split("/").pop() ?? "");
        const at = lines.indexOf(productId);
        if (at < 0) return { status: 404, body: '{"code":"CART_LINE_NOT_FOUND"}' };
        lines.splice(at, 1);
        deletes += 1;
        if (deletes === 1) throw new DOMException("This operation was aborted", "AbortError");
        return { status: 204, body: "" };
      },
    };
    const shopper = customer("k@x", APPROVED_CARD, ["s1", "s2"]);
    const ops = createShopperOperations(
      http,
      data({ stockedProductIds: ["s3"], cartCustomers: [shopper] }),
      createSeededRandom(1),
    );
    const cart = ops.pickerOf("cart")();
    await expect(cart.run(never)).rejects.toThrow(/aborted/);
    // The bench still believes in s1; the store has only s2. The next change reads the cart first.
    expect(await cart.run(never)).toEqual({ ok: true, status: "201" });
    expect(requests.map((r) => r.method)).toEqual(["DELETE", "GET", "POST"]);
    expect(shopper.lines).toEqual(lines);
    expect(await cart.run(never)).toEqual({ ok: true, status: "204" });
    expect(requests.filter((r) => r.method === "GET")).toHaveLength(1);
  });

  it("checks out with an Idempotency-Key, then refills a cart a confirmed order emptied", async () => {
    const { http, requests } = fakeStore();
    const shopper = customer("c@x", APPROVED_CARD, ["s1"]);
    const ops = createShopperOperations(http, data({ checkoutCustomers: [shopper] }), createSeededRandom(1));
    expect(await ops.pickerOf("checkout")().run(never)).toEqual({ ok: true, status: "201" });
    await sleep(20);
    expect(requests[0]?.path).toBe("/v1/checkout");
    expect(requests[0]?.headers?.["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[1]).toMatchObject({ method: "POST", path: "/v1/cart/items" });
    expect(ops.counters).toEqual({ orders: { CONFIRMED: 1 }, settledLater: {}, refills: 1, refillFailures: 0 });
    expect(shopper.lines).toHaveLength(1);
  });

  it("keeps the cart of a declined order (nothing to refill)", async () => {
    const { http, requests } = fakeStore();
    const shopper = customer("d@x", DECLINED_CARD, ["s1"]);
    const ops = createShopperOperations(http, data({ checkoutCustomers: [shopper] }), createSeededRandom(1));
    await ops.pickerOf("checkout")().run(never);
    await sleep(10);
    expect(requests).toHaveLength(1);
    expect(ops.counters.orders).toEqual({ CANCELLED: 1 });
    expect(shopper.lines).toEqual(["s1"]);
  });

  it("after an answer that leaves the order's fate open, adds a line before the next checkout", async () => {
    const requests: HttpRequest[] = [];
    let checkouts = 0;
    const http: HttpClient = {
      async request(request) {
        requests.push(request);
        if (request.path !== "/v1/checkout") return { status: 201, body: "" };
        checkouts += 1;
        // The first checkout times out at the gateway; the order may still go through and empty the cart.
        return checkouts === 1
          ? { status: 504, body: '{"code":"GATEWAY_TIMEOUT"}' }
          : { status: 201, body: '{"order":{"id":"o2","status":"CANCELLED"}}' };
      },
    };
    const shopper = customer("c@x", APPROVED_CARD, ["s1"]);
    const ops = createShopperOperations(http, data({ checkoutCustomers: [shopper] }), createSeededRandom(1));
    const checkout = ops.pickerOf("checkout")();
    expect(await checkout.run(never)).toEqual({ ok: false, status: "504 GATEWAY_TIMEOUT" });
    expect(shopper.lines).toEqual([]);
    expect(ops.busyCustomers()).toBe(0);
    await checkout.run(never);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/checkout",
      "POST /v1/cart/items",
      "POST /v1/checkout",
    ]);
  });

  it("swaps in new tokens by email", () => {
    const shopper = customer("c@x");
    const ops = createShopperOperations(
      fakeStore().http,
      data({ checkoutCustomers: [shopper] }),
      createSeededRandom(1),
    );
    ops.updateTokens(new Map([["c@x", "fresh"]]));
    expect(shopper.token).toBe("fresh");
  });

  it("names a failure by its status and problem+json code", () => {
    expect(resultOf({ status: 201, body: "" })).toEqual({ ok: true, status: "201" });
    expect(resultOf({ status: 409, body: '{"code":"INVENTORY_INSUFFICIENT_STOCK"}' })).toEqual({
      ok: false,
      status: "409 INVENTORY_INSUFFICIENT_STOCK",
    });
    expect(resultOf({ status: 502, body: "<html>" })).toEqual({ ok: false, status: "502" });
  });

  it("reads the order of a checkout answer", () => {
    expect(orderOf('{"order":{"id":"o1","status":"CONFIRMED"}}')).toEqual({ id: "o1", status: "CONFIRMED" });
    expect(orderOf("not json")).toEqual({ id: "", status: "unreadable" });
  });
});
