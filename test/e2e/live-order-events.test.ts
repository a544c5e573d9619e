import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimProducts } from "./support/catalog.ts";
import { addToCart, placeOrder, TEST_CARDS } from "./support/orders.ts";
import { startTestStore, TOPOLOGY, type TestStore } from "./support/store.ts";
import type { Order } from "./support/types.ts";
import { registerAndLogin, type Customer } from "./support/users.ts";

interface OrderEvent {
  readonly order: Order;
  readonly cause: string;
}

/**
 * Opens GET /v1/orders/{id}/events and collects its `order` events until the server ends the
 * stream or `timeoutMs` passes (then aborts). Parses the text/event-stream format by hand.
 */
async function readOrderStream(
  baseUrl: string,
  customer: Customer,
  orderId: string,
  onEvent: (event: OrderEvent) => void,
  timeoutMs: number,
): Promise<{ status: number; contentType: string | null; events: OrderEvent[]; ended: boolean }> {
  const abort = AbortSignal.timeout(timeoutMs);
  const response = await fetch(`${baseUrl}/v1/orders/${orderId}/events`, {
    headers: { authorization: `Bearer ${customer.token}`, accept: "text/event-stream" },
    signal: abort,
  });
  const events: OrderEvent[] = [];
  if (response.status !== 200 || response.body === null) {
    return { status: response.status, contentType: response.headers.get("content-type"), events, ended: true };
  }
  const decoder = new TextDecoder();
  let buffer = "";
  let ended = false;
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n");
        if (!lines.includes("event: order")) continue;
        const data = lines.find((l) => l.startsWith("data: "));
        const event = JSON.parse(data!.slice(6)) as OrderEvent;
        events.push(event);
        onEvent(event);
      }
    }
    ended = true;
  } catch (error) {
    if (!abort.aborted) throw error;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), events, ended };
}

describe(`live order status over Server-Sent Events (${TOPOLOGY} store)`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore();
  });
  afterAll(async () => {
    await store.stop();
  });

  it("pushes the order as it is, then its refund when the customer cancels, then ends the stream", async () => {
    const { api } = store;
    const [product] = await claimProducts(api, 1);
    const customer = await registerAndLogin(api, "live");
    await addToCart(api, customer, product!.id, 1);
    const order = await placeOrder(api, customer);
    expect(order.status).toBe("CONFIRMED");

    let cancelled: Promise<unknown> | undefined;
    const stream = await readOrderStream(
      api.baseUrl,
      customer,
      order.id,
      (event) => {
        // Cancel once the snapshot arrived: the refund must be pushed live.
        if (event.cause === "snapshot") {
          cancelled = api.post(`/v1/orders/${order.id}/cancel`, {}, { token: customer.token });
        }
      },
      20_000,
    );
    await cancelled;
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.events.map((e) => [e.cause, e.order.status])).toEqual([
      ["snapshot", "CONFIRMED"],
      ["souk.order.refunded.v1", "REFUNDED"],
    ]);
    expect(stream.ended, "the server ends the stream after a final status").toBe(true);
  });

  it("ends at once for an order that is already final, and refuses another customer's order with 404", async () => {
    const { api } = store;
    const [product] = await claimProducts(api, 1);
    const customer = await registerAndLogin(api, "live-declined");
    await addToCart(api, customer, product!.id, 1);
    const order = await placeOrder(api, customer, TEST_CARDS.cardDeclined);
    expect(order.status).toBe("CANCELLED");
    const stream = await readOrderStream(api.baseUrl, customer, order.id, () => {}, 10_000);
    expect(stream.events.map((e) => e.order.status)).toEqual(["CANCELLED"]);
    expect(stream.ended).toBe(true);

    const stranger = await registerAndLogin(api, "live-stranger");
    const refused = await readOrderStream(api.baseUrl, stranger, order.id, () => {}, 10_000);
    expect(refused.status).toBe(404);
    expect(refused.contentType).toMatch(/^application\/problem\+json/);
  });
});
