import { failedPrecondition, invalidArgument, type FieldViolation, type Money } from "@souk/platform";

/**
 * Order state machine: PENDING → CONFIRMED | CANCELLED, and CONFIRMED → REFUNDED when a
 * confirmed order is cancelled by its customer.
 */
export type OrderStatus = "PENDING" | "CONFIRMED" | "CANCELLED" | "REFUNDED";

/** One priced line, copied from the cart at checkout so later price changes do not alter it. */
export interface OrderLine {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/** Where the goods go. `country` is ISO 3166-1 alpha-2. */
export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly city: string;
  readonly postalCode: string;
  readonly country: string;
}

/** The card as the customer typed it. Lives only in memory until payments tokenizes it. */
export interface CardInput {
  readonly number: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
}

/** What the saga is doing; see `saga.ts`. */
export interface SagaState {
  readonly phase: "forward" | "compensating" | "capturing" | "refunding" | "done";
  /** Index into the phase's step list of the next step to run. */
  readonly step: number;
  /** Failed attempts of the current step (transient failures), for backoff. */
  readonly attempts: number;
  /** When the saga may run next (backoff after a transient failure). */
  readonly nextAttemptAt: Date;
}

/** An order with its lines and saga state. */
export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly total: Money;
  readonly lines: readonly OrderLine[];
  readonly shippingAddress: ShippingAddress;
  readonly paymentMethodId: string;
  readonly idempotencyKey: string;
  readonly requestFingerprint: string;
  readonly cancellationReason: string | undefined;
  readonly saga: SagaState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The longest accepted Idempotency-Key, as Stripe allows (255 characters). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Validates a checkout request's key and shipping address; every bad field is named.
 * Card fields are validated by payments when it tokenizes the card.
 * @throws SoukError invalid_argument ORDERS_INVALID_CHECKOUT.
 */
export function validateCheckout(idempotencyKey: string, address: ShippingAddress | undefined): ShippingAddress {
  const violations: FieldViolation[] = [];
  if (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    violations.push({ field: "idempotency_key", message: `must be 1..${MAX_IDEMPOTENCY_KEY_LENGTH} characters` });
  }
  if (address === undefined) {
    violations.push({ field: "shipping_address", message: "is required" });
  } else {
    for (const field of ["name", "line1", "city", "postalCode"] as const) {
      const value = address[field].trim();
      if (value.length === 0 || value.length > 200) {
        violations.push({ field: `shipping_address.${field}`, message: "must be 1..200 characters" });
      }
    }
    if (!/^[A-Z]{2}$/.test(address.country)) {
      violations.push({ field: "shipping_address.country", message: "must be an ISO 3166-1 alpha-2 code" });
    }
  }
  if (violations.length > 0 || address === undefined) {
    throw invalidArgument("ORDERS_INVALID_CHECKOUT", "invalid checkout request", violations);
  }
  return {
    name: address.name.trim(),
    line1: address.line1.trim(),
    city: address.city.trim(),
    postalCode: address.postalCode.trim(),
    country: address.country,
  };
}

/**
 * Sums order lines. All lines must share one currency.
 * @throws SoukError failed_precondition ORDERS_CART_EMPTY for no lines, ORDERS_CURRENCY_MISMATCH for mixed currencies.
 */
export function orderTotal(lines: readonly OrderLine[]): Money {
  const first = lines[0];
  if (first === undefined) throw failedPrecondition("ORDERS_CART_EMPTY", "the cart is empty");
  let amountMinor = 0;
  for (const line of lines) {
    if (line.lineTotal.currency !== first.lineTotal.currency) {
      throw failedPrecondition("ORDERS_CURRENCY_MISMATCH", "all lines of an order must share one currency");
    }
    amountMinor += line.lineTotal.amountMinor;
  }
  return { amountMinor, currency: first.lineTotal.currency };
}

/**
 * True once the checkout has an outcome the customer can rely on: CONFIRMED (capture may
 * still be finishing in the background), CANCELLED or REFUNDED.
 */
export function isTerminal(order: Pick<Order, "status">): boolean {
  return order.status !== "PENDING";
}

/**
 * Decides whether the customer may cancel now. Only a confirmed, fully captured order can be
 * cancelled (it is then refunded and restocked). A pending order is still in its saga.
 * @throws SoukError failed_precondition ORDERS_NOT_CANCELLABLE otherwise.
 */
export function assertCancellable(order: Order): void {
  if (order.status !== "CONFIRMED" || order.saga.phase !== "done") {
    const why =
      order.status === "PENDING"
        ? "the order is still being processed"
        : order.status === "CONFIRMED"
          ? "the payment is still being captured"
          : `the order is ${order.status.toLowerCase()}`;
    throw failedPrecondition("ORDERS_NOT_CANCELLABLE", `order cannot be cancelled: ${why}`);
  }
}
