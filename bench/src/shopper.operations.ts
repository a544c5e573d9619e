// What the generator sends: one operation per shopper action on the public API, the scenarios
// built from them (each endpoint class alone, and the shopper mix), and the customers they use.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { pickWeighted, type SeededRandom, type Weighted } from "../../apps/souk/src/shop/seeded-random.ts";
import { createCustomerPool, type CustomerPool } from "./customer-pool.ts";
import type { Operation, OperationResult } from "./load-generator.ts";

/** One HTTP exchange as the operations need it. */
export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path and query under the target's origin, e.g. `/v1/products?q=tea`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/**
 * Sends requests over a keep-alive connection pool. `readBody` false discards a 2xx body without
 * reading it into memory; an error body is always read (its problem+json code names the failure).
 */
export interface HttpClient {
  request(request: HttpRequest, readBody: boolean): Promise<{ status: number; body: string }>;
}

/** A signed-in customer with a bearer token, a test card and the lines of its cart. */
export interface BenchCustomer {
  readonly email: string;
  token: string;
  /** The card number it pays with (a Stripe test card). */
  readonly card: string;
  /** Product ids in its cart, oldest first (as far as the bench knows). */
  readonly lines: string[];
}

/** The data the operations draw from, prepared through the public API before measuring. */
export interface ShopperData {
  /** Product ids whose pages are read (each one read once before measuring: cache hits). */
  readonly productIds: readonly string[];
  /** Product ids with plenty of stock, for carts. */
  readonly stockedProductIds: readonly string[];
  /** Category slugs. */
  readonly categories: readonly string[];
  /** What searchers type (words and typos; the same list drives the pgbench search limit). */
  readonly searchTerms: readonly string[];
  /** Customers that check out (each starts with one line in its cart). */
  readonly checkoutCustomers: readonly BenchCustomer[];
  /** Customers that change their carts. */
  readonly cartCustomers: readonly BenchCustomer[];
}

/** The scenarios on the public API; `static` is the NGINX static file (the HTTP limit). */
export const SCENARIOS = ["product", "browse", "search", "cart", "checkout", "mix"] as const;

/** A scenario on the public API. */
export type Scenario = (typeof SCENARIOS)[number];

/** The kinds of operation, the unit latencies are reported in. */
export type OperationKind = "product" | "browse" | "categories" | "search" | "cart" | "checkout" | "static";

/**
 * The shopper mix (issue 5): browse and product pages ~65 % (product page 45, category listing
 * 15, category list 5), search ~15 %, cart changes ~15 %, checkout ~5 %.
 */
export const SHOPPER_MIX: readonly Weighted<OperationKind>[] = [
  { weight: 45, value: "product" },
  { weight: 15, value: "browse" },
  { weight: 5, value: "categories" },
  { weight: 15, value: "search" },
  { weight: 15, value: "cart" },
  { weight: 5, value: "checkout" },
];

/** The test cards: one customer in ten pays with a card the simulator declines. */
export const APPROVED_CARD = "4242424242424242";
export const DECLINED_CARD = "4000000000000002";

/** The card of customer number `index`: every tenth one (9, 19, …) is declined. */
export function cardOfCustomer(index: number): string {
  return index % 10 === 9 ? DECLINED_CARD : APPROVED_CARD;
}

/** Outcomes of checkouts and the background work around them, counted since creation. */
export interface ShopperCounters {
  /** Order statuses answered by POST /v1/checkout (CONFIRMED, CANCELLED, or PENDING past the gateway's wait). */
  readonly orders: Record<string, number>;
  /** Final statuses of the orders answered PENDING, once they settled (polled in the background). */
  readonly settledLater: Record<string, number>;
  /** Cart refills after a confirmed checkout (background: not timed, but load on the server). */
  refills: number;
  refillFailures: number;
}

/** Builds the operations of every scenario over `http`. */
export function createShopperOperations(http: HttpClient, data: ShopperData, random: SeededRandom) {
  const checkoutPool: CustomerPool<BenchCustomer> | undefined =
    data.checkoutCustomers.length > 0 ? createCustomerPool(data.checkoutCustomers) : undefined;
  const cartPool: CustomerPool<BenchCustomer> | undefined =
    data.cartCustomers.length > 0 ? createCustomerPool(data.cartCustomers) : undefined;
  const counters: ShopperCounters = { orders: {}, settledLater: {}, refills: 0, refillFailures: 0 };
  const refillSignal = new AbortController();
  const json = { "content-type": "application/json" };
  const bearer = (customer: BenchCustomer) => ({ authorization: `Bearer ${customer.token}` });
  const cardExpiryYear = new Date().getUTCFullYear() + 3;

  function get(kind: OperationKind, path: () => string): Operation {
    return {
      kind,
      async run(signal) {
        return resultOf(await http.request({ method: "GET", path: path(), signal }, false));
      },
    };
  }

  /**
   * Adds one unit of a stocked product to the customer's cart (remembered when the store took it).
   * A product already in the cart adds to its line's quantity, so it is remembered once: the
   * line goes with one DELETE.
   */
  async function addLine(customer: BenchCustomer, signal: AbortSignal): Promise<{ status: number; body: string }> {
    const productId = random.pick(data.stockedProductIds);
    const reply = await http.request(
      {
        method: "POST",
        path: "/v1/cart/items",
        headers: { ...bearer(customer), ...json },
        body: JSON.stringify({ productId, quantity: 1 }),
        signal,
      },
      false,
    );
    if (reply.status >= 200 && reply.status < 300 && !customer.lines.includes(productId))
      customer.lines.push(productId);
    return reply;
  }

  /**
   * Cart customers whose last change got no answer (aborted, network error) or a 5xx: the store
   * may or may not have applied it, so the bench no longer knows their lines. Removing a line it
   * only believes is there would be a 404 of the bench's own making.
   */
  const unknownCarts = new WeakSet<BenchCustomer>();

  /** Reads the customer's lines back from GET /v1/cart (oldest first, as the store lists them). */
  async function readCart(customer: BenchCustomer, signal: AbortSignal): Promise<void> {
    const reply = await http.request({ method: "GET", path: "/v1/cart", headers: bearer(customer), signal }, true);
    if (reply.status !== 200) return;
    const items = (JSON.parse(reply.body) as { items?: { productId: string }[] }).items ?? [];
    customer.lines.splice(0, customer.lines.length, ...items.map((item) => item.productId));
    unknownCarts.delete(customer);
  }

  /** Refills a checkout customer's cart (three tries: a product may have run out). */
  async function refill(customer: BenchCustomer): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const status = await addLine(customer, refillSignal.signal).then(
        (reply) => reply.status,
        () => 0,
      );
      if (status >= 200 && status < 300) {
        counters.refills += 1;
        return;
      }
    }
    counters.refillFailures += 1;
  }

  /**
   * Waits for an order answered PENDING (202) to settle, as its shopper would: polls it every
   * 250 ms for up to 30 s; a confirmed order emptied the cart, which is then refilled. Until then
   * the customer is not lent again (its cart is about to change).
   */
  async function settle(customer: BenchCustomer, orderId: string): Promise<void> {
    for (let poll = 0; poll < 120; poll += 1) {
      const reply = await sleep(250, undefined, { signal: refillSignal.signal })
        .then(() =>
          http.request(
            {
              method: "GET",
              path: `/v1/orders/${encodeURIComponent(orderId)}`,
              headers: bearer(customer),
              signal: refillSignal.signal,
            },
            true,
          ),
        )
        .catch(() => undefined);
      if (reply === undefined) return;
      const status = orderOf(reply.body).status;
      if (status === "PENDING" || status === "unreadable") continue;
      counters.settledLater[status] = (counters.settledLater[status] ?? 0) + 1;
      if (status === "CONFIRMED") {
        customer.lines.length = 0;
        await refill(customer);
      }
      return;
    }
  }

  const product = get("product", () => `/v1/products/${encodeURIComponent(random.pick(data.productIds))}`);
  const browse = get(
    "browse",
    () => `/v1/products?category=${encodeURIComponent(random.pick(data.categories))}&limit=12`,
  );
  const categories = get("categories", () => "/v1/categories");
  const search = get("search", () => `/v1/products?q=${encodeURIComponent(random.pick(data.searchTerms))}&limit=10`);

  /** Adds a line while the cart has fewer than two, else removes the oldest: carts stay small. */
  const cart: Operation = {
    kind: "cart",
    async run(signal) {
      if (cartPool === undefined) throw new Error("no cart customers were prepared");
      const customer = await cartPool.acquire(signal);
      let answered = false;
      try {
        if (unknownCarts.has(customer)) await readCart(customer, signal);
        const oldest = customer.lines.length >= 2 ? customer.lines[0] : undefined;
        const reply =
          oldest === undefined
            ? await addLine(customer, signal)
            : await http.request(
                {
                  method: "DELETE",
                  path: `/v1/cart/items/${encodeURIComponent(oldest)}`,
                  headers: bearer(customer),
                  signal,
                },
                false,
              );
        answered = reply.status < 500;
        if (answered && oldest !== undefined) customer.lines.shift();
        return resultOf(reply);
      } finally {
        if (!answered) unknownCarts.add(customer);
        cartPool.release(customer);
      }
    },
  };

  /**
   * POST /v1/checkout of the customer's cart (the gateway answers once the saga ends, or 202
   * after GATEWAY_CHECKOUT_WAIT_MS). A confirmed order empties the cart: it is refilled in the
   * background before the customer is lent again.
   */
  const checkout: Operation = {
    kind: "checkout",
    async run(signal) {
      if (checkoutPool === undefined) throw new Error("no checkout customers were prepared");
      const customer = await checkoutPool.acquire(signal);
      let emptied = false;
      let pendingOrderId: string | undefined;
      // Whether the answer tells what became of the cart: after a timeout, an abort or a 5xx the
      // order may still go through server-side and empty it, so its next checkout adds a line first.
      let cartKnown = false;
      try {
        if (customer.lines.length === 0) await addLine(customer, signal);
        const reply = await http.request(
          {
            method: "POST",
            path: "/v1/checkout",
            headers: { ...bearer(customer), ...json, "idempotency-key": randomUUID() },
            body: JSON.stringify({
              payment: { card: { number: customer.card, expMonth: 12, expYear: cardExpiryYear, cvc: "123" } },
              shippingAddress: {
                name: "Bench Shopper",
                line1: "1 Load Street",
                city: "Paris",
                postalCode: "75001",
                country: "FR",
              },
            }),
            signal,
          },
          true,
        );
        const order = orderOf(reply.body);
        const result = resultOf(reply);
        if (reply.status === 201 || reply.status === 202) {
          counters.orders[order.status] = (counters.orders[order.status] ?? 0) + 1;
          emptied = order.status === "CONFIRMED";
          if (order.status === "PENDING") pendingOrderId = order.id;
          cartKnown = order.status !== "unreadable";
        } else {
          cartKnown = reply.status < 500 && !result.status.endsWith("_CART_EMPTY");
        }
        return result;
      } finally {
        if (!cartKnown) customer.lines.length = 0;
        if (emptied) {
          customer.lines.length = 0;
          void refill(customer).finally(() => checkoutPool.release(customer));
        } else if (pendingOrderId !== undefined) {
          void settle(customer, pendingOrderId).finally(() => checkoutPool.release(customer));
        } else {
          checkoutPool.release(customer);
        }
      }
    },
  };

  const byKind: Record<Exclude<OperationKind, "static">, Operation> = {
    product,
    browse,
    categories,
    search,
    cart,
    checkout,
  };

  return {
    counters,
    /** The operation picker of a scenario: one kind alone, or the shopper mix. */
    pickerOf(scenario: Scenario): () => Operation {
      if (scenario === "mix")
        return () => byKind[pickWeighted(random, SHOPPER_MIX) as Exclude<OperationKind, "static">];
      const operation = byKind[scenario];
      return () => operation;
    },
    /** Replaces tokens after a re-login (matched by email). */
    updateTokens(tokens: ReadonlyMap<string, string>): void {
      for (const customer of [...data.checkoutCustomers, ...data.cartCustomers]) {
        const token = tokens.get(customer.email);
        if (token !== undefined) customer.token = token;
      }
    },
    /** Operations waiting for a free customer right now. */
    waitingForCustomers(): number {
      return (checkoutPool?.waiting ?? 0) + (cartPool?.waiting ?? 0);
    },
    /** Customers lent out right now (in an operation, or settling an order or refilling a cart). */
    busyCustomers(): number {
      const busy = (pool: CustomerPool<BenchCustomer> | undefined) =>
        pool === undefined ? 0 : pool.all.length - pool.idle;
      return busy(checkoutPool) + busy(cartPool);
    },
    /** Stops background refills. */
    close(): void {
      refillSignal.abort();
    },
  };
}

/** The operation picker for a static file: GET `path` and discard the body. */
export function staticFileOperation(http: HttpClient, path: string): Operation {
  return {
    kind: "static",
    async run(signal) {
      return resultOf(await http.request({ method: "GET", path, signal }, false));
    },
  };
}

/**
 * An answer as an operation result: ok for 2xx; otherwise the status, followed by the
 * problem+json `code` when the body has one ("409 INVENTORY_INSUFFICIENT_STOCK").
 */
export function resultOf(reply: { status: number; body: string }): OperationResult {
  if (reply.status >= 200 && reply.status < 300) return { ok: true, status: String(reply.status) };
  let code: unknown;
  try {
    code = (JSON.parse(reply.body) as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  return { ok: false, status: typeof code === "string" ? `${reply.status} ${code}` : String(reply.status) };
}

/** The `order` of a checkout or order answer: its id and status (`unreadable` when it has none). */
export function orderOf(body: string): { id: string; status: string } {
  try {
    const parsed = JSON.parse(body) as { order?: { id?: unknown; status?: unknown } };
    return {
      id: typeof parsed.order?.id === "string" ? parsed.order.id : "",
      status: typeof parsed.order?.status === "string" ? parsed.order.status : "unreadable",
    };
  } catch {
    return { id: "", status: "unreadable" };
  }
}
