import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableOf, claimProducts } from "./support/catalog.ts";
import { expectProblem } from "./support/http.ts";
import { addToCart, checkoutBody, placeOrder, postCheckout, TEST_CARDS, waitForTerminal } from "./support/orders.ts";
import { startTestStore, TOPOLOGY, type TestStore } from "./support/store.ts";
import type { Cart, Order, Page } from "./support/types.ts";
import { registerAndLogin } from "./support/users.ts";

describe(`checkout outcomes and idempotency over HTTP (${TOPOLOGY} store)`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore();
  });
  afterAll(async () => {
    await store.stop();
  });

  const failures = [
    { card: TEST_CARDS.cardDeclined, reason: /^card_declined$/ },
    { card: TEST_CARDS.insufficientFunds, reason: /^insufficient_funds$/ },
    { card: TEST_CARDS.fraud, reason: /fraud/ },
    { card: TEST_CARDS.processingError, reason: /^processing_error$/ },
  ];

  for (const { card, reason } of failures) {
    it(`card ${card} ends CANCELLED with reason ${String(reason)} and gives the stock back`, async () => {
      const { api } = store;
      const customer = await registerAndLogin(api, "declined");
      const [product] = await claimProducts(api, 1, (p) => p.available >= 5);
      const before = await availableOf(api, product!.id);
      await addToCart(api, customer, product!.id, 2);

      const order = await placeOrder(api, customer, card);
      expect(order.status).toBe("CANCELLED");
      expect(order.cancellationReason).toMatch(reason);
      expect(await availableOf(api, product!.id)).toBe(before);
      const cancel = await api.post(`/v1/orders/${order.id}/cancel`, undefined, { token: customer.token });
      expectProblem(cancel, 409);
    });
  }

  it("replays the same Idempotency-Key and body: same order, Idempotent-Replayed, stock taken once", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "replay");
    const [product] = await claimProducts(api, 1);
    const before = await availableOf(api, product!.id);
    await addToCart(api, customer, product!.id, 1);
    const key = randomUUID();

    const first = await postCheckout(api, customer, checkoutBody(), key);
    expect([201, 202], first.text).toContain(first.status);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const order = await waitForTerminal(api, customer, first.body.order.id);
    expect(order.status).toBe("CONFIRMED");

    const replay = await postCheckout(api, customer, checkoutBody(), key);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.order).toMatchObject({ id: order.id, status: "CONFIRMED" });
    expect(await availableOf(api, product!.id)).toBe(before - 1);
    const orders = await api.get<Page<Order>>("/v1/orders", { token: customer.token });
    expect(orders.body.items.map((o) => o.id)).toEqual([order.id]);
  });

  it("refuses the same Idempotency-Key with another body (422) without placing an order", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "misuse");
    const [product] = await claimProducts(api, 1);
    await addToCart(api, customer, product!.id, 1);
    const key = randomUUID();
    const first = await postCheckout(api, customer, checkoutBody(TEST_CARDS.success, "Fes"), key);
    expect([201, 202], first.text).toContain(first.status);

    await addToCart(api, customer, product!.id, 1);
    const misuse = await postCheckout(api, customer, checkoutBody(TEST_CARDS.success, "Rabat"), key);
    expectProblem(misuse, 422, "ORDERS_IDEMPOTENCY_KEY_REUSED");
    const orders = await api.get<Page<Order>>("/v1/orders", { token: customer.token });
    expect(orders.body.items.map((o) => o.id)).toEqual([first.body.order.id]);
  });

  it("places one order for concurrent retries of the same key", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "retries");
    const [product] = await claimProducts(api, 1);
    const before = await availableOf(api, product!.id);
    await addToCart(api, customer, product!.id, 1);
    const key = randomUUID();

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => postCheckout(api, customer, checkoutBody(), key)),
    );
    for (const response of responses) expect([201, 202], response.text).toContain(response.status);
    const ids = new Set(responses.map((r) => r.body.order.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect((await waitForTerminal(api, customer, id!)).status).toBe("CONFIRMED");
    expect(await availableOf(api, product!.id)).toBe(before - 1);
  });

  it("refuses to check out an empty cart (409) and requires the Idempotency-Key (400 naming it)", async () => {
    const { api } = store;
    const customer = await registerAndLogin(api, "empty");
    expectProblem(await postCheckout(api, customer), 409);
    const cart = await api.get<Cart>("/v1/cart", { token: customer.token });
    expect(cart.body.items).toEqual([]);

    const badKeys: Record<string, string>[] = [
      {},
      { "idempotency-key": "" },
      { "idempotency-key": "a b" },
      { "idempotency-key": "k".repeat(256) },
    ];
    for (const headers of badKeys) {
      const response = await api.post("/v1/checkout", checkoutBody(), { token: customer.token, headers });
      const problem = expectProblem(response, 400, "VALIDATION_FAILED");
      expect(problem.errors?.map((e) => e.field)).toEqual(["headers.idempotency-key"]);
    }
  });
});
