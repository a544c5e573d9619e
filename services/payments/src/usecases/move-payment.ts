import { unavailable, type Clock, type IdGenerator } from "@souk/platform";
import { paymentPosting, type LedgerKind } from "../domain/ledger.ts";
import type { Payment, PaymentMove, PaymentStore } from "../domain/payment.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/** What capture, void and refund share. */
export interface MovePaymentDeps {
  readonly payments: PaymentStore;
  readonly provider: PaymentProvider;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/** One settlement move: whether it applies, the provider call, and the state change with its posting. */
export interface Settlement {
  /** "noop" when the payment is already where the move leads (idempotent repeat) — or, for a void, has nothing to undo. */
  readonly decide: (payment: Payment) => string;
  /** The provider side, idempotent under the key it is given (`<payment id>:<kind>`). */
  readonly callProvider: (payment: Payment, idempotencyKey: string) => Promise<unknown>;
  readonly kind: Exclude<LedgerKind, "authorize">;
  readonly move: PaymentMove;
}

/**
 * Applies a settlement to the (settled) payment of `orderId`: the provider first, then the
 * status move with its ledger posting as one compare-and-set; a lost compare-and-set decides
 * again on the state the winner left, so concurrent calls post exactly once.
 * @returns the payment after the move (or as it was, for a no-op); undefined when the order has no payment.
 * @throws SoukError unavailable PAYMENTS_PROVIDER_UNAVAILABLE; whatever `decide` throws.
 */
export async function movePayment(
  deps: MovePaymentDeps,
  settle: (orderId: string) => Promise<Payment | undefined>,
  orderId: string,
  settlement: Settlement,
): Promise<Payment | undefined> {
  for (;;) {
    const payment = await settle(orderId);
    if (payment === undefined || settlement.decide(payment) === "noop") return payment;
    await settlement.callProvider(payment, `${payment.id}:${settlement.kind}`).catch((error: unknown) => {
      throw unavailable("PAYMENTS_PROVIDER_UNAVAILABLE", "the payment provider is unavailable", error);
    });
    const posting = paymentPosting(settlement.kind, payment.id, payment.amount, deps.newId(), deps.clock());
    const moved = await deps.payments.transition(payment.id, settlement.move, posting);
    if (moved !== undefined) return moved;
  }
}
