import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { Api, ApiResponse } from "./http.ts";
import type { Customer } from "./users.ts";
import type { Cart, Order } from "./types.ts";

/** The card simulator's test numbers (Stripe's) and the outcome each produces. */
export const TEST_CARDS = {
  success: "4242424242424242",
  cardDeclined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  fraud: "4100000000000019",
  processingError: "4000000000000119",
} as const;

/** A valid checkout body paying with `cardNumber`; `city` varies the body for key-misuse tests. */
export function checkoutBody(cardNumber: string = TEST_CARDS.success, city = "Marrakesh") {
  return {
    payment: { card: { number: cardNumber, expMonth: 12, expYear: 2034, cvc: "123" } },
    shippingAddress: { name: "Test Customer", line1: "1 Derb Dabachi", city, postalCode: "40000", country: "MA" },
  };
}

/** Adds `quantity` of a product to the customer's cart; expects 200 and returns the cart. */
export async function addToCart(api: Api, customer: Customer, productId: string, quantity: number): Promise<Cart> {
  const response = await api.post<Cart>("/v1/cart/items", { productId, quantity }, { token: customer.token });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

/** POST /v1/checkout with an Idempotency-Key (a fresh one unless given). */
export function postCheckout(
  api: Api,
  customer: Customer,
  body: unknown = checkoutBody(),
  idempotencyKey: string = randomUUID(),
): Promise<ApiResponse<{ order: Order }>> {
  return api.post<{ order: Order }>("/v1/checkout", body, {
    token: customer.token,
    headers: { "idempotency-key": idempotencyKey },
  });
}

/** Polls GET /v1/orders/{id} until the order leaves PENDING (at most `timeoutMs`). */
export async function waitForTerminal(
  api: Api,
  customer: Customer,
  orderId: string,
  timeoutMs = 30_000,
): Promise<Order> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api.get<{ order: Order }>(`/v1/orders/${orderId}`, { token: customer.token });
    expect(response.status, response.text).toBe(200);
    if (response.body.order.status !== "PENDING") return response.body.order;
    if (Date.now() > deadline) throw new Error(`order ${orderId} still PENDING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Checks out and returns the order in its terminal state: 201 is terminal already, 202 (still
 * PENDING after the gateway's wait) is polled until it is.
 */
export async function placeOrder(
  api: Api,
  customer: Customer,
  cardNumber: string = TEST_CARDS.success,
): Promise<Order> {
  const response = await postCheckout(api, customer, checkoutBody(cardNumber));
  expect([201, 202], response.text).toContain(response.status);
  const { order } = response.body;
  expect(response.headers.get("location")).toBe(`/v1/orders/${order.id}`);
  if (response.status === 202) return waitForTerminal(api, customer, order.id);
  expect(order.status).not.toBe("PENDING");
  return order;
}
