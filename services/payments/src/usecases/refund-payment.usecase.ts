import { notFound, unavailable, type Clock, type IdGenerator } from "@souk/platform";
import { paymentPosting } from "../domain/ledger.ts";
import { authorizationIdOf, decideRefund, type Payment, type PaymentStore } from "../domain/payment.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/**
 * Refunds the captured payment of `orderId` in full: the provider first (idempotency key
 * `<payment id>:refund`), then CAPTURED → REFUNDED with its posting (debit sales_refunds,
 * credit psp_receivable) as one compare-and-set. Idempotent: refunding a refunded payment
 * returns it.
 *
 * @throws SoukError not_found PAYMENTS_NOT_FOUND; failed_precondition PAYMENTS_NOT_REFUNDABLE
 *   unless CAPTURED or REFUNDED; unavailable PAYMENTS_PROVIDER_UNAVAILABLE.
 */
export function refundPayment(
  deps: { payments: PaymentStore; provider: PaymentProvider; clock: Clock; newId: IdGenerator },
  settle: (orderId: string) => Promise<Payment | undefined>,
) {
  return async (orderId: string): Promise<Payment> => {
    for (;;) {
      const payment = await settle(orderId);
      if (payment === undefined) throw notFound("PAYMENTS_NOT_FOUND", `order ${orderId} has no payment`);
      if (decideRefund(payment) === "noop") return payment;
      await deps.provider
        .refund(authorizationIdOf(payment), payment.amount, `${payment.id}:refund`)
        .catch((error: unknown) => {
          throw unavailable("PAYMENTS_PROVIDER_UNAVAILABLE", "the payment provider is unavailable", error);
        });
      const posting = paymentPosting("refund", payment.id, payment.amount, deps.newId(), deps.clock());
      const refunded = await deps.payments.transition(payment.id, { from: "CAPTURED", to: "REFUNDED" }, posting);
      if (refunded !== undefined) return refunded;
    }
  };
}
