import { notFound, unavailable, type Clock, type IdGenerator } from "@souk/platform";
import { paymentPosting } from "../domain/ledger.ts";
import { authorizationIdOf, decideCapture, type Payment, type PaymentStore } from "../domain/payment.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/**
 * Captures the authorized payment of `orderId` in full: the provider first (idempotency key
 * `<payment id>:capture`), then AUTHORIZED → CAPTURED with its posting (release the hold;
 * debit psp_receivable, credit sales_revenue) as one compare-and-set, so concurrent captures
 * post exactly once. Idempotent: capturing a captured payment returns it.
 *
 * @throws SoukError not_found PAYMENTS_NOT_FOUND; failed_precondition PAYMENTS_NOT_CAPTURABLE
 *   unless AUTHORIZED or CAPTURED; unavailable PAYMENTS_PROVIDER_UNAVAILABLE.
 */
export function capturePayment(
  deps: { payments: PaymentStore; provider: PaymentProvider; clock: Clock; newId: IdGenerator },
  settle: (orderId: string) => Promise<Payment | undefined>,
) {
  return async (orderId: string): Promise<Payment> => {
    for (;;) {
      const payment = await settle(orderId);
      if (payment === undefined) throw notFound("PAYMENTS_NOT_FOUND", `order ${orderId} has no payment`);
      if (decideCapture(payment) === "noop") return payment;
      await deps.provider
        .capture(authorizationIdOf(payment), payment.amount, `${payment.id}:capture`)
        .catch((error: unknown) => {
          throw unavailable("PAYMENTS_PROVIDER_UNAVAILABLE", "the payment provider is unavailable", error);
        });
      const posting = paymentPosting("capture", payment.id, payment.amount, deps.newId(), deps.clock());
      const captured = await deps.payments.transition(payment.id, { from: "AUTHORIZED", to: "CAPTURED" }, posting);
      // Lost the compare-and-set: decide again on the state the winner left.
      if (captured !== undefined) return captured;
    }
  };
}
