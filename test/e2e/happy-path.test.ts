import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableOf, claimProducts } from "./support/catalog.ts";
import type { Problem } from "./support/http.ts";
import { addToCart, placeOrder } from "./support/orders.ts";
import { startTestStore, TOPOLOGY, type TestStore } from "./support/store.ts";
import type { Cart, Order, Page, Product, TokenPair } from "./support/types.ts";
import { registerAndLogin } from "./support/users.ts";

/** A word of a product name long enough for trigram search, with one letter changed in the middle. */
function misspell(word: string): string {
  const i = Math.floor(word.length / 2);
  const replacement = word[i]?.toLowerCase() === "x" ? "q" : "x";
  return word.slice(0, i) + replacement + word.slice(i + 1);
}

describe(`the shopping journey over HTTP (${TOPOLOGY} store)`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore();
  });
  afterAll(async () => {
    await store.stop();
  });

  it("registers, refuses the same email twice, logs in and rotates the refresh token", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "journey");
    const again = await api.post<Problem>("/v1/auth/register", {
      email: customer.email,
      password: "another password",
      name: "Twin",
    });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(customer.tokens).toMatchObject({ tokenType: "Bearer", expiresIn: expect.any(Number) as unknown });

    const refreshed = await api.post<TokenPair>("/v1/auth/refresh", { refreshToken: customer.tokens.refreshToken });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(customer.tokens.refreshToken);
    const cart = await api.get<Cart>("/v1/cart", { token: refreshed.body.accessToken });
    expect(cart.status, cart.text).toBe(200);
    const spent = await api.post("/v1/auth/refresh", { refreshToken: customer.tokens.refreshToken });
    expect(spent.status, spent.text).toBe(401);

    const wrong = await api.post("/v1/auth/login", { email: customer.email, password: "not the password" });
    expect(wrong.status).toBe(401);
  });

  it("browses categories and products, searches with a typo, opens a product page", async () => {
    const { api } = store;
    const categories = await api.get<{ items: { slug: string; name: string; productCount: number }[] }>(
      "/v1/categories",
    );
    expect(categories.status).toBe(200);
    expect(categories.body.items.length).toBeGreaterThan(0);
    const category = categories.body.items.find((c) => c.productCount > 0);
    expect(category).toBeDefined();

    const page = await api.get<Page<Product>>(`/v1/products?category=${category!.slug}&limit=5`);
    expect(page.status, page.text).toBe(200);
    expect(page.body.items.length).toBeGreaterThan(0);
    expect(page.body.items.length).toBeLessThanOrEqual(5);
    for (const product of page.body.items) {
      expect(product.category).toBe(category!.slug);
      expect(Number.isInteger(product.price.amount)).toBe(true);
      expect(product.available).toBeGreaterThanOrEqual(0);
    }
    if (category!.productCount > 5) {
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const next = await api.get<Page<Product>>(
        `/v1/products?category=${category!.slug}&limit=5&cursor=${encodeURIComponent(page.body.nextCursor!)}`,
      );
      expect(next.status, next.text).toBe(200);
      const firstIds = new Set(page.body.items.map((p) => p.id));
      expect(next.body.items.some((p) => firstIds.has(p.id))).toBe(false);
    }

    const everything = await api.get<Page<Product>>("/v1/products?limit=100");
    const word = everything.body.items
      .flatMap((p) => p.name.split(/[^A-Za-z]+/))
      .filter((w) => w.length >= 7)
      .sort((a, b) => b.length - a.length)[0];
    expect(word).toBeDefined();
    const typo = misspell(word!);
    const found = await api.get<Page<Product>>(`/v1/products?q=${encodeURIComponent(typo)}`);
    expect(found.status, found.text).toBe(200);
    expect(found.body.items.some((p) => p.name.toLowerCase().includes(word!.toLowerCase()))).toBe(true);

    const first = page.body.items[0]!;
    const detail = await api.get<Product>(`/v1/products/${first.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toEqual(first);
    const missing = await api.get<Problem>("/v1/products/00000000-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
  });

  it("edits the cart, checks out with 4242 (CONFIRMED), lists and gets the order, cancels it (REFUNDED, stock back)", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "buyer");
    const [teapot, rug] = await claimProducts(api, 2, (p) => p.available >= 10);
    const before = await availableOf(api, teapot!.id);

    let cart = await addToCart(api, customer, teapot!.id, 2);
    expect(cart.items).toEqual([
      {
        productId: teapot!.id,
        name: teapot!.name,
        quantity: 2,
        unitPrice: teapot!.price,
        lineTotal: { amount: teapot!.price.amount * 2, currency: teapot!.price.currency },
      },
    ]);
    cart = await addToCart(api, customer, rug!.id, 1);
    expect(cart.items).toHaveLength(2);
    const updated = await api.put<Cart>(`/v1/cart/items/${teapot!.id}`, { quantity: 3 }, { token: customer.token });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body.items.find((i) => i.productId === teapot!.id)?.quantity).toBe(3);
    const removed = await api.delete<Cart>(`/v1/cart/items/${rug!.id}`, { token: customer.token });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.items.map((i) => i.productId)).toEqual([teapot!.id]);
    expect(removed.body.total).toEqual({ amount: teapot!.price.amount * 3, currency: teapot!.price.currency });

    const order = await placeOrder(api, customer);
    expect(order).toMatchObject({
      status: "CONFIRMED",
      total: { amount: teapot!.price.amount * 3, currency: teapot!.price.currency },
      lines: [{ productId: teapot!.id, quantity: 3 }],
    });
    expect(order.cancellationReason).toBeUndefined();
    expect(Date.parse(order.createdAt)).not.toBeNaN();
    expect(await availableOf(api, teapot!.id)).toBe(before - 3);

    const list = await api.get<Page<Order>>("/v1/orders", { token: customer.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((o) => o.id)).toEqual([order.id]);
    const got = await api.get<{ order: Order }>(`/v1/orders/${order.id}`, { token: customer.token });
    expect(got.body.order).toMatchObject({ id: order.id, status: "CONFIRMED" });

    const cancelled = await api.post<{ order: Order }>(`/v1/orders/${order.id}/cancel`, undefined, {
      token: customer.token,
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.order).toMatchObject({ id: order.id, status: "REFUNDED" });
    expect(await availableOf(api, teapot!.id)).toBe(before);
    const twice = await api.post<Problem>(`/v1/orders/${order.id}/cancel`, undefined, { token: customer.token });
    expect(twice.status).toBe(409);
  });
});
