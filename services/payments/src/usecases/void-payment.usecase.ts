import { unavailable, type Clock, type IdGenerator } from "@souk/platform";
import { paymentPosting } from "../domain/ledger.ts";
import { authorizationIdOf, decideVoid, type Payment, type PaymentStore } from "../domain/payment.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/**
 * Cancels the authorization of `orderId` (saga compensation): the provider first
 * (idempotency key `<payment id>:void`), then AUTHORIZED → VOIDED with the posting that
 * reverses the hold, as one compare-and-set. Idempotent and safe to call blindly: a no-op
 * when the order has no payment, or it FAILED or was already VOIDED. An authorization still
 * in flight is waited for first, so its hold cannot outlive the void.
 *
 * @throws SoukError failed_precondition PAYMENTS_NOT_VOIDABLE once CAPTURED or REFUNDED
 *   (that takes a refund); unavailable PAYMENTS_PROVIDER_UNAVAILABLE.
 */
export function voidPayment(
  deps: { payments: PaymentStore; provider: PaymentProvider; clock: Clock; newId: IdGenerator },
  settle: (orderId: string) => Promise<Payment | undefined>,
) {
  return async (orderId: string): Promise<void> => {
    for (;;) {
      const payment = await settle(orderId);
      if (payment === undefined || decideVoid(payment) === "noop") return;
      await deps.provider.void(authorizationIdOf(payment), `${payment.id}:void`).catch((error: unknown) => {
        throw unavailable("PAYMENTS_PROVIDER_UNAVAILABLE", "the payment provider is unavailable", error);
      });
      const posting = paymentPosting("void", payment.id, payment.amount, deps.newId(), deps.clock());
      const voided = await deps.payments.transition(payment.id, { from: "AUTHORIZED", to: "VOIDED" }, posting);
      if (voided !== undefined) return;
    }
  };
}
