import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableOf, claimProducts } from "./support/catalog.ts";
import { addToCart, placeOrder, postCheckout, waitForTerminal } from "./support/orders.ts";
import { startTestStore, TOPOLOGY, type TestStore } from "./support/store.ts";
import type { Order } from "./support/types.ts";
import { registerAndLogin } from "./support/users.ts";

/** Largest order total the payments service authorizes without review (PAYMENTS_FRAUD_MAX_AMOUNT_MINOR default). */
const FRAUD_LIMIT_MINOR = 500_000;
const BUYERS = 40;
const LAST_UNITS = 5;

describe(`the last units over HTTP (${TOPOLOGY} store)`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore();
  });
  afterAll(async () => {
    await store.stop();
  });

  it(`${BUYERS} concurrent buyers of the last ${LAST_UNITS} units: exactly ${LAST_UNITS} confirmed, stock never negative`, async () => {
    const { api } = store;
    // A product whose stock can be bought down to exactly LAST_UNITS in one order (a cart line
    // holds at most 99 units) that stays under the fraud amount limit.
    const [product] = await claimProducts(
      api,
      1,
      (p) =>
        p.available > LAST_UNITS &&
        p.available - LAST_UNITS <= 99 &&
        (p.available - LAST_UNITS) * p.price.amount < FRAUD_LIMIT_MINOR,
    );
    const { id } = product!;
    const stocker = await registerAndLogin(api, "stocker");
    await addToCart(api, stocker, id, (await availableOf(api, id)) - LAST_UNITS);
    expect((await placeOrder(api, stocker)).status).toBe("CONFIRMED");
    expect(await availableOf(api, id)).toBe(LAST_UNITS);

    const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, i) => registerAndLogin(api, `buyer${i}`)));
    await Promise.all(buyers.map((buyer) => addToCart(api, buyer, id, 1)));

    const seen: number[] = [];
    let racing = true;
    const sampler = (async () => {
      while (racing) {
        seen.push(await availableOf(api, id));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    let orders: Order[];
    try {
      const responses = await Promise.all(buyers.map((buyer) => postCheckout(api, buyer)));
      for (const response of responses) expect([201, 202], response.text).toContain(response.status);
      orders = await Promise.all(responses.map((r, i) => waitForTerminal(api, buyers[i]!, r.body.order.id)));
    } finally {
      racing = false;
      await sampler;
    }

    const confirmed = orders.filter((o) => o.status === "CONFIRMED");
    const cancelled = orders.filter((o) => o.status === "CANCELLED");
    expect(confirmed).toHaveLength(LAST_UNITS);
    expect(cancelled).toHaveLength(BUYERS - LAST_UNITS);
    expect(new Set(cancelled.map((o) => o.cancellationReason))).toEqual(new Set(["insufficient_stock"]));
    expect(await availableOf(api, id)).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(LAST_UNITS);
  });
});
