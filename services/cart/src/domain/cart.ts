import { failedPrecondition, invalidArgument, notFound, type Money, type SoukError } from "@souk/platform";

/**
 * One line of a cart as the store keeps it: a product and how many units of it.
 * `quantity` is an integer ≥ 1; `addedAt` (UTC) is when the product first entered the cart.
 * Stores return lines in the order they were first added.
 */
export interface CartItem {
  readonly productId: string;
  readonly quantity: number;
  readonly addedAt: Date;
}

/** A request to put `quantity` units of `productId` in `userId`'s cart (AddItem, UpdateItem). */
export interface LineRequest {
  readonly userId: string;
  readonly productId: string;
  /** Units; checked by `requireQuantity`. */
  readonly quantity: number;
}

/** What the cart needs to know about a product, read from the catalog at the time of the request. */
export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  /** Current unit price (integer minor units + ISO 4217 code). */
  readonly price: Money;
}

/** A cart line priced from the catalog: `lineTotal = unitPrice × quantity`, in minor units. */
export interface PricedLine {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/** The whole cart as every cart response shows it: its priced lines and their sum. */
export interface PricedCart {
  readonly lines: readonly PricedLine[];
  /** Sum of the line totals; `0` in the cart's currency when the cart is empty. */
  readonly total: Money;
}

/**
 * The limits and currency of carts (from `CART_CURRENCY`, `CART_MAX_LINES`,
 * `CART_MAX_QUANTITY_PER_LINE`).
 */
export interface CartPolicy {
  /** ISO 4217 code every line of a cart is priced in. */
  readonly currency: string;
  /** Most distinct products one cart may hold. */
  readonly maxLines: number;
  /** Most units of one product one line may hold. */
  readonly maxQuantityPerLine: number;
}

/** Longest user or product id accepted (Souk's ids are 36-character UUIDs; this leaves room for others). */
export const MAX_ID_LENGTH = 128;

function requireId(value: string, field: string, code: string): string {
  if (value.trim() === "") {
    throw invalidArgument(code, `${field} is required`, [{ field, message: "must not be empty" }]);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw invalidArgument(code, `${field} is too long`, [
      { field, message: `must be at most ${MAX_ID_LENGTH} characters` },
    ]);
  }
  return value;
}

/**
 * Checks the id of the cart's owner (the authenticated subject the gateway passes on).
 * @throws SoukError invalid_argument CART_INVALID_USER_ID (field `user_id`) when empty or longer than MAX_ID_LENGTH.
 */
export function requireUserId(userId: string): string {
  return requireId(userId, "user_id", "CART_INVALID_USER_ID");
}

/**
 * Checks a product id before asking the catalog about it, and returns its canonical form, lower
 * case: product ids are UUIDs (ARCHITECTURE: "IDs are UUIDv7"), which compare case-insensitively
 * (RFC 9562 §4), so `ABC…` and `abc…` name one cart line.
 * @throws SoukError invalid_argument CART_INVALID_PRODUCT_ID (field `product_id`) when empty or longer than MAX_ID_LENGTH.
 */
export function requireProductId(productId: string): string {
  return requireId(productId, "product_id", "CART_INVALID_PRODUCT_ID").toLowerCase();
}

/**
 * Checks a requested quantity: an integer in `1..policy.maxQuantityPerLine`.
 * @throws SoukError invalid_argument CART_INVALID_QUANTITY (field `quantity`) otherwise.
 */
export function requireQuantity(quantity: number, policy: CartPolicy): number {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > policy.maxQuantityPerLine) {
    throw invalidArgument("CART_INVALID_QUANTITY", "quantity is out of range", [
      { field: "quantity", message: `must be an integer from 1 to ${policy.maxQuantityPerLine}` },
    ]);
  }
  return quantity;
}

/**
 * Picks the product `productId` (canonical, see `requireProductId`) among what the catalog returned.
 * @throws SoukError not_found CART_PRODUCT_NOT_FOUND when the catalog does not know it.
 */
export function requireProduct(products: readonly Product[], productId: string): Product {
  const product = products.find((p) => p.id.toLowerCase() === productId);
  if (product === undefined) throw notFound("CART_PRODUCT_NOT_FOUND", `product ${productId} does not exist`);
  return product;
}

/** The error for an update or removal of a product that is not in the cart: not_found CART_LINE_NOT_FOUND. */
export function lineNotFound(productId: string): SoukError {
  return notFound("CART_LINE_NOT_FOUND", `product ${productId} is not in the cart`);
}

/**
 * A cart holds one currency: refuses a product priced in another one.
 * @throws SoukError failed_precondition CART_CURRENCY_MISMATCH.
 */
export function requireCartCurrency(product: Product, currency: string): void {
  if (product.price.currency !== currency) {
    throw failedPrecondition(
      "CART_CURRENCY_MISMATCH",
      `product ${product.id} is priced in ${product.price.currency}, the cart in ${currency}`,
    );
  }
}

/** The line just written, as the store sees it inside the write's transaction. */
export interface WrittenLine {
  /** Every line of the cart after the write (including `line`). */
  readonly items: readonly CartItem[];
  /** The line the write created or changed. */
  readonly line: CartItem;
  /** True when the write created the line (the product was not in the cart before). */
  readonly created: boolean;
}

/**
 * Decides whether a cart may keep a line just written (checked inside the write's transaction,
 * which rolls back when this throws):
 * - a new line may not take the cart above `policy.maxLines` lines;
 * - a line may not hold more than `policy.maxQuantityPerLine` units (an add sums with what
 *   the line already held);
 * - a line may not hold more than the `available` stock of its `sku` (inventory's on hand minus
 *   reserved, read just before the write).
 *
 * @throws SoukError failed_precondition CART_TOO_MANY_LINES, CART_QUANTITY_LIMIT or CART_INSUFFICIENT_STOCK.
 */
export function checkWrittenLine(
  written: WrittenLine,
  stock: { sku: string; available: number },
  policy: CartPolicy,
): void {
  if (written.created && written.items.length > policy.maxLines) {
    throw failedPrecondition("CART_TOO_MANY_LINES", `a cart holds at most ${policy.maxLines} different products`);
  }
  const { quantity } = written.line;
  if (quantity > policy.maxQuantityPerLine) {
    throw failedPrecondition(
      "CART_QUANTITY_LIMIT",
      `a line holds at most ${policy.maxQuantityPerLine} units; it would hold ${quantity}`,
    );
  }
  if (quantity > stock.available) {
    throw failedPrecondition(
      "CART_INSUFFICIENT_STOCK",
      `only ${Math.max(stock.available, 0)} of ${stock.sku} available; the line would hold ${quantity}`,
    );
  }
}

/**
 * Prices a cart from the catalog's current prices: for each item whose product still exists,
 * `lineTotal = unitPrice × quantity`; `total` is their sum, all in integer minor units of
 * `currency`. `products` is keyed by canonical (lower-case) product id. Items whose product is
 * not in `products` (deleted from the catalog) are left out of the view. Lines keep the order of `items`.
 *
 * @throws SoukError failed_precondition CART_CURRENCY_MISMATCH when a product is priced in
 *   another currency than `currency` (a cart's total is in one currency).
 * @throws RangeError when a total leaves the exact integer range of a double (2^53), a data error.
 */
export function priceCart(
  items: readonly CartItem[],
  products: ReadonlyMap<string, Product>,
  currency: string,
): PricedCart {
  const lines: PricedLine[] = [];
  let totalMinor = 0;
  for (const item of items) {
    const product = products.get(item.productId);
    if (product === undefined) continue;
    requireCartCurrency(product, currency);
    const lineMinor = exact(product.price.amountMinor * item.quantity);
    totalMinor = exact(totalMinor + lineMinor);
    lines.push({
      productId: item.productId,
      sku: product.sku,
      name: product.name,
      quantity: item.quantity,
      unitPrice: product.price,
      lineTotal: { amountMinor: lineMinor, currency },
    });
  }
  return { lines, total: { amountMinor: totalMinor, currency } };
}

function exact(amountMinor: number): number {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount ${amountMinor} is not an exact integer`);
  return amountMinor;
}
