// A client of Souk's public REST API (/v1), and nothing else: every request goes to the base URL,
// is timed into its endpoint class, and fails with an ApiError carrying the problem+json code.
import type { ShopRecorder } from "./shop.recorder.ts";
import {
  readCart,
  readCategories,
  readOrder,
  readOrders,
  readProblem,
  readProduct,
  readProductPage,
  readTokens,
  ShapeError,
  type Cart,
  type Category,
  type Order,
  type Product,
  type ProductPage,
  type Tokens,
} from "./store.shapes.ts";
import type { EndpointClass } from "./summary.ts";
import { TransportError, type Transport, type TransportReply } from "./http.transport.ts";

/** Each request's deadline (ms), body included. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Attempts per request when the store answers 429 (the request was not processed, so a retry is safe). */
const MAX_ATTEMPTS = 3;
/** The longest `Retry-After` the shop honours before trying again (ms). */
const MAX_RETRY_WAIT_MS = 5_000;

/** A non-2xx answer: its status and the problem+json `code` and `detail`. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly detail: string;

  constructor(method: string, route: string, status: number, problem: { code: string; detail: string }) {
    super(`${status} ${problem.code} from ${method} ${route}${problem.detail ? `: ${problem.detail}` : ""}`);
    this.status = status;
    this.code = problem.code;
    this.detail = problem.detail;
  }
}

/** What the client needs: where the store is, how to send, where to record, and time. */
export interface StoreClientDeps {
  readonly baseUrl: string;
  readonly transport: Transport;
  readonly recorder: ShopRecorder;
  /** Monotonic milliseconds (e.g. `performance.now`). */
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly timeoutMs?: number;
}

/** The body of `POST /v1/checkout`. */
export interface CheckoutRequest {
  readonly payment: { readonly card: { number: string; expMonth: number; expYear: number; cvc: string } };
  readonly shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string };
}

/** The public REST API, one method per endpoint. Methods throw ApiError, TransportError or ShapeError. */
export type StoreClient = ReturnType<typeof createStoreClient>;

interface Call {
  readonly endpoint: EndpointClass;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route template, for reports (`/v1/orders/{id}`). */
  readonly route: string;
  /** The concrete path under the base URL; ids already percent-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Creates the client. */
export function createStoreClient(deps: StoreClientDeps) {
  const base = new URL(deps.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const timeoutMs = deps.timeoutMs ?? REQUEST_TIMEOUT_MS;

  function urlOf(call: Call): URL {
    const url = new URL(`${prefix}${call.path}`, base.origin);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // By construction the path is relative to the base; this guards the one promise the shop makes.
    if (url.origin !== base.origin) throw new Error(`refusing to leave ${base.origin}: ${url.origin}`);
    return url;
  }

  /** Sends one call (retrying 429 a bounded number of times) and returns the status and JSON body. */
  async function send(call: Call): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: "application/json", ...call.headers };
    if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
    if (call.body !== undefined) headers["content-type"] = "application/json";
    const request = {
      method: call.method,
      url: urlOf(call),
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      timeoutMs,
    };
    for (let attempt = 1; ; attempt += 1) {
      const startedMs = deps.nowMs();
      let reply: TransportReply;
      try {
        reply = await deps.transport.send(request);
      } catch (error) {
        if (error instanceof TransportError) deps.recorder.noResponse(error.kind);
        throw error;
      }
      const latencyMs = deps.nowMs() - startedMs;
      const ok = reply.status >= 200 && reply.status < 300;
      const problem = ok ? { code: "", detail: "" } : readProblem(problemBody(reply));
      deps.recorder.response(
        call.endpoint,
        { method: call.method, route: call.route },
        reply.status,
        latencyMs,
        problem,
      );
      if (ok) return { status: reply.status, body: parseBody(reply, call) };
      if (reply.status === 429 && attempt < MAX_ATTEMPTS) {
        await deps.sleep(retryDelayMs(reply.retryAfter, attempt));
        continue;
      }
      throw new ApiError(call.method, call.route, reply.status, problem);
    }
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    /** `POST /v1/auth/register` (201); a taken email is ApiError 409. */
    async register(user: { email: string; password: string; name: string }): Promise<void> {
      await send({
        endpoint: "auth",
        method: "POST",
        route: "/v1/auth/register",
        path: "/v1/auth/register",
        body: user,
      });
    },
    /** `POST /v1/auth/login`. */
    async login(credentials: { email: string; password: string }): Promise<Tokens> {
      const route = "/v1/auth/login";
      return readTokens((await send({ endpoint: "auth", method: "POST", route, path: route, body: credentials })).body);
    },
    /** `POST /v1/auth/refresh`: new tokens for a refresh token. */
    async refresh(refreshToken: string): Promise<Tokens> {
      const route = "/v1/auth/refresh";
      const reply = await send({ endpoint: "auth", method: "POST", route, path: route, body: { refreshToken } });
      return readTokens(reply.body);
    },
    /** `GET /v1/categories`. */
    async categories(): Promise<Category[]> {
      const route = "/v1/categories";
      return readCategories((await send({ endpoint: "browse", method: "GET", route, path: route })).body);
    },
    /** `GET /v1/products`; timed as `search` when `q` is given, else `browse`. */
    async products(query: { q?: string; category?: string; limit?: number; cursor?: string }): Promise<ProductPage> {
      const route = "/v1/products";
      const endpoint = query.q === undefined ? "browse" : "search";
      return readProductPage((await send({ endpoint, method: "GET", route, path: route, query })).body);
    },
    /** `GET /v1/products/{id}`. */
    async product(productId: string): Promise<Product> {
      const call = { route: "/v1/products/{id}", path: `/v1/products/${id(productId)}` };
      return readProduct((await send({ endpoint: "browse", method: "GET", ...call })).body);
    },
    /** `GET /v1/cart`. */
    async cart(token: string): Promise<Cart> {
      const route = "/v1/cart";
      return readCart((await send({ endpoint: "cart", method: "GET", route, path: route, token })).body);
    },
    /** `POST /v1/cart/items`; not enough stock is ApiError 409. */
    async addToCart(token: string, productId: string, quantity: number): Promise<void> {
      const route = "/v1/cart/items";
      await send({ endpoint: "cart", method: "POST", route, path: route, token, body: { productId, quantity } });
    },
    /** `PUT /v1/cart/items/{productId}`; not enough stock is ApiError 409. */
    async setCartQuantity(token: string, productId: string, quantity: number): Promise<void> {
      const call = { route: "/v1/cart/items/{productId}", path: `/v1/cart/items/${id(productId)}` };
      await send({ endpoint: "cart", method: "PUT", ...call, token, body: { quantity } });
    },
    /** `DELETE /v1/cart/items/{productId}`. */
    async removeFromCart(token: string, productId: string): Promise<void> {
      const call = { route: "/v1/cart/items/{productId}", path: `/v1/cart/items/${id(productId)}` };
      await send({ endpoint: "cart", method: "DELETE", ...call, token });
    },
    /** `POST /v1/checkout`: 201 with a terminal order, or 202 while it is still PENDING. */
    async checkout(token: string, idempotencyKey: string, request: CheckoutRequest): Promise<Order> {
      const route = "/v1/checkout";
      const headers = { "idempotency-key": idempotencyKey };
      const reply = await send({
        endpoint: "checkout",
        method: "POST",
        route,
        path: route,
        token,
        headers,
        body: request,
      });
      return readOrder(reply.body);
    },
    /** `GET /v1/orders/{id}`. */
    async order(token: string, orderId: string): Promise<Order> {
      const call = { route: "/v1/orders/{id}", path: `/v1/orders/${id(orderId)}` };
      return readOrder((await send({ endpoint: "orders", method: "GET", ...call, token })).body);
    },
    /** `GET /v1/orders`: the customer's orders. */
    async orders(token: string): Promise<Order[]> {
      const route = "/v1/orders";
      return readOrders((await send({ endpoint: "orders", method: "GET", route, path: route, token })).body);
    },
    /** `POST /v1/orders/{id}/cancel`; an order that cannot be cancelled is ApiError 409. */
    async cancelOrder(token: string, orderId: string): Promise<Order> {
      const call = { route: "/v1/orders/{id}/cancel", path: `/v1/orders/${id(orderId)}/cancel` };
      return readOrder((await send({ endpoint: "orders", method: "POST", ...call, token })).body);
    },
  };
}

/** A 2xx body as JSON (`undefined` when empty); anything but JSON is a ShapeError. */
function parseBody(reply: TransportReply, call: Call): unknown {
  if (reply.body === "") return undefined;
  if (!/\bjson\b/i.test(reply.contentType)) {
    throw new ShapeError(`${call.method} ${call.route} answered ${reply.contentType || "no content type"}`);
  }
  try {
    return JSON.parse(reply.body) as unknown;
  } catch (error) {
    throw new ShapeError(`${call.method} ${call.route} answered malformed JSON`, { cause: error });
  }
}

/** An error body as JSON when it is some (problem+json), else `undefined`: the status still tells. */
function problemBody(reply: TransportReply): unknown {
  if (!/\bjson\b/i.test(reply.contentType)) return undefined;
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return undefined;
  }
}

/** `Retry-After` in seconds (capped), else exponential backoff from 250 ms. */
function retryDelayMs(retryAfter: string | null, attempt: number): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  const ms = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 250 * 2 ** (attempt - 1);
  return Math.min(ms, MAX_RETRY_WAIT_MS);
}
