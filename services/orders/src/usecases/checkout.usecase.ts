import { setTimeout as delay } from "node:timers/promises";
import { failedPrecondition, invalidArgument, type Clock, type IdGenerator, type Supervisor } from "@souk/platform";
import { requestFingerprint } from "../domain/idempotency.ts";
import { orderTotal, validateCheckout, type CardInput, type Order, type ShippingAddress } from "../domain/order.ts";
import type { CartPort, OrderStore, PaymentPort } from "../domain/ports.ts";
import type { advanceSaga } from "./advance-saga.usecase.ts";

/** A checkout request as the API hands it over. */
export interface CheckoutInput {
  readonly userId: string;
  readonly idempotencyKey: string;
  readonly card: CardInput | undefined;
  readonly shippingAddress: ShippingAddress | undefined;
  /** How long to wait for a terminal state before answering with the PENDING order (ms); 0 = default. */
  readonly waitMs: number;
}

/** The order and whether this answer replays an earlier request with the same key. */
export interface CheckoutResult {
  readonly order: Order;
  readonly replayed: boolean;
}

/** What checkout needs. */
export interface CheckoutDeps {
  readonly store: OrderStore;
  readonly payments: PaymentPort;
  readonly cart: CartPort;
  readonly advance: ReturnType<typeof advanceSaga>;
  readonly supervisor: Supervisor;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly fingerprintKey: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly defaultWaitMs: number;
}

/**
 * Places an order from the user's cart and runs the checkout saga (ARCHITECTURE.md steps 2–5):
 * the order is written PENDING, then the saga reserves stock, authorizes the payment and
 * confirms — or compensates and cancels. The caller waits up to `waitMs` for the outcome;
 * the saga goes on in the background after that (and after a crash, through recovery).
 *
 * Idempotent per (user, Idempotency-Key), with Stripe's semantics: the same key and request
 * return the first order; the same key with another request is refused.
 *
 * @throws SoukError invalid_argument ORDERS_INVALID_CHECKOUT / PAYMENTS_INVALID_CARD (with fields);
 *   failed_precondition ORDERS_IDEMPOTENCY_KEY_REUSED, ORDERS_CART_EMPTY, ORDERS_CURRENCY_MISMATCH.
 */
export function checkout(deps: CheckoutDeps) {
  const replay = (existing: Order, fingerprint: string): CheckoutResult => {
    if (existing.requestFingerprint !== fingerprint) {
      throw failedPrecondition(
        "ORDERS_IDEMPOTENCY_KEY_REUSED",
        "this Idempotency-Key was already used with a different request",
      );
    }
    return { order: existing, replayed: true };
  };

  return async (input: CheckoutInput): Promise<CheckoutResult> => {
    const address = validateCheckout(input.idempotencyKey, input.shippingAddress);
    const card = input.card;
    if (card === undefined) {
      throw invalidArgument("ORDERS_INVALID_CHECKOUT", "invalid checkout request", [
        { field: "card", message: "is required" },
      ]);
    }
    const fingerprint = requestFingerprint(deps.fingerprintKey, card, address);
    const existing = await deps.store.findByIdempotencyKey(input.userId, input.idempotencyKey);
    if (existing !== undefined) return replay(existing, fingerprint);

    const lines = await deps.cart.lines(input.userId);
    const total = orderTotal(lines);
    const paymentMethodId = await deps.payments.createPaymentMethod(input.userId, card);
    const now = deps.clock();
    const order: Order = {
      id: deps.newId(),
      userId: input.userId,
      status: "PENDING",
      total,
      lines,
      shippingAddress: address,
      paymentMethodId,
      idempotencyKey: input.idempotencyKey,
      requestFingerprint: fingerprint,
      cancellationReason: undefined,
      saga: { phase: "forward", step: 0, attempts: 0, nextAttemptAt: now },
      createdAt: now,
      updatedAt: now,
    };
    const inserted = await deps.store.insert(order, deps.owner, new Date(now.getTime() + deps.leaseMs));
    if (!inserted.inserted) return replay(inserted.existing, fingerprint);

    const saga = deps.supervisor.run(`checkout saga ${order.id}`, deps.advance(order));
    const waitMs = input.waitMs > 0 ? input.waitMs : deps.defaultWaitMs;
    const timer = new AbortController();
    await Promise.race([saga, delay(waitMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
    return { order: (await deps.store.get(order.id)) ?? order, replayed: false };
  };
}
