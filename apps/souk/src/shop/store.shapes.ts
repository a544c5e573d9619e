// The public REST API's response bodies as the shop reads them, checked at the edge so a contract
// drift fails loudly with the path of the bad field instead of as `undefined` three steps later.

/** A money amount: integer minor units plus an ISO 4217 currency code. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** A catalog product (only the fields the shop uses). `available` is units in stock. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  readonly price: Money;
  readonly available: number;
}

/** One page of `GET /v1/products`. */
export interface ProductPage {
  readonly items: readonly Product[];
  readonly nextCursor: string | null;
}

/** A category of `GET /v1/categories`. */
export interface Category {
  readonly slug: string;
  readonly name: string;
  readonly productCount: number;
}

/** A cart line. */
export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
  readonly lineTotal: Money;
}

/** A cart: its lines and total. */
export interface Cart {
  readonly items: readonly CartLine[];
  readonly total: Money;
}

/** The tokens of `POST /v1/auth/login` and `/v1/auth/refresh`; `expiresIn` is in seconds. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

/** Order statuses; all but PENDING are terminal for the checkout saga. */
export const ORDER_STATUSES = ["PENDING", "CONFIRMED", "CANCELLED", "REFUNDED"] as const;

/** One order status. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order (only the fields the shop uses). */
export interface Order {
  readonly id: string;
  readonly status: OrderStatus;
  readonly total: Money;
  readonly cancellationReason: string | null;
}

/** A response body that does not have the documented shape; `message` names the bad field. */
export class ShapeError extends Error {
  override readonly name = "ShapeError";
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ShapeError(`${path} is not an object`);
  }
  return value as Json;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw new ShapeError(`${path} is not a string`);
  return value;
}

function integer(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new ShapeError(`${path} is not an integer`);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${path} is not an array`);
  return value;
}

function money(value: unknown, path: string): Money {
  const o = object(value, path);
  return { amount: integer(o.amount, `${path}.amount`), currency: string(o.currency, `${path}.currency`) };
}

/** Reads a product. */
export function readProduct(value: unknown, path = "product"): Product {
  const o = object(value, path);
  return {
    id: string(o.id, `${path}.id`),
    name: string(o.name, `${path}.name`),
    category: string(o.category, `${path}.category`),
    price: money(o.price, `${path}.price`),
    available: integer(o.available, `${path}.available`),
  };
}

/** Reads `{ items: [product], nextCursor }` (`nextCursor` null, absent or empty on the last page). */
export function readProductPage(value: unknown): ProductPage {
  const o = object(value, "body");
  const cursor = o.nextCursor;
  return {
    items: array(o.items, "body.items").map((item, i) => readProduct(item, `body.items[${i}]`)),
    nextCursor: typeof cursor === "string" && cursor !== "" ? cursor : null,
  };
}

/** Reads `{ items: [{ slug, name, productCount }] }`. */
export function readCategories(value: unknown): Category[] {
  return array(object(value, "body").items, "body.items").map((item, i) => {
    const o = object(item, `body.items[${i}]`);
    return {
      slug: string(o.slug, `body.items[${i}].slug`),
      name: string(o.name, `body.items[${i}].name`),
      productCount: integer(o.productCount, `body.items[${i}].productCount`),
    };
  });
}

/** Reads a cart. */
export function readCart(value: unknown): Cart {
  const o = object(value, "cart");
  return {
    items: array(o.items, "cart.items").map((item, i) => {
      const line = object(item, `cart.items[${i}]`);
      return {
        productId: string(line.productId, `cart.items[${i}].productId`),
        quantity: integer(line.quantity, `cart.items[${i}].quantity`),
        lineTotal: money(line.lineTotal, `cart.items[${i}].lineTotal`),
      };
    }),
    total: money(o.total, "cart.total"),
  };
}

/** Reads the tokens of a login or refresh. */
export function readTokens(value: unknown): Tokens {
  const o = object(value, "body");
  return {
    accessToken: string(o.accessToken, "body.accessToken"),
    refreshToken: string(o.refreshToken, "body.refreshToken"),
    expiresIn: integer(o.expiresIn, "body.expiresIn"),
  };
}

/** Reads an order, bare or wrapped as `{ order }` (checkout wraps it; reads may not). */
export function readOrder(value: unknown): Order {
  const body = object(value, "body");
  const wrapped = body.order !== undefined;
  const path = wrapped ? "body.order" : "body";
  const o = object(wrapped ? body.order : body, path);
  const status = string(o.status, `${path}.status`);
  if (!isOrderStatus(status)) throw new ShapeError(`${path}.status '${status}' is not a known order status`);
  const reason = o.cancellationReason;
  return {
    id: string(o.id, `${path}.id`),
    status,
    total: money(o.total, `${path}.total`),
    cancellationReason: typeof reason === "string" && reason !== "" ? reason : null,
  };
}

/** Reads `GET /v1/orders`: `{ items: [order] }`. */
export function readOrders(value: unknown): Order[] {
  return array(object(value, "body").items, "body.items").map((item) => readOrder(item));
}

function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

/** The problem+json fields the shop reports; absent fields read as `UNKNOWN` / empty. */
export function readProblem(value: unknown): { code: string; detail: string } {
  if (typeof value !== "object" || value === null) return { code: "UNKNOWN", detail: "" };
  const o = value as Json;
  return {
    code: typeof o.code === "string" ? o.code : "UNKNOWN",
    detail: typeof o.detail === "string" ? o.detail : typeof o.title === "string" ? o.title : "",
  };
}
