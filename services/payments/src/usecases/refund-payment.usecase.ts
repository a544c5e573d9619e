import { notFound } from "@souk/platform";
import { authorizationIdOf, decideRefund, type Payment } from "../domain/payment.ts";
import { movePayment, type MovePaymentDeps } from "./move-payment.ts";

/**
 * Refunds the captured payment of `orderId` in full: the provider first (idempotency key
 * `<payment id>:refund`), then CAPTURED → REFUNDED with its posting (debit sales_refunds,
 * credit psp_receivable) as one compare-and-set. Idempotent: refunding a refunded payment
 * returns it.
 *
 * @throws SoukError not_found PAYMENTS_NOT_FOUND; failed_precondition PAYMENTS_NOT_REFUNDABLE
 *   unless CAPTURED or REFUNDED; unavailable PAYMENTS_PROVIDER_UNAVAILABLE.
 */
export function refundPayment(deps: MovePaymentDeps, settle: (orderId: string) => Promise<Payment | undefined>) {
  return async (orderId: string): Promise<Payment> => {
    const refunded = await movePayment(deps, settle, orderId, {
      decide: decideRefund,
      callProvider: (payment, key) => deps.provider.refund(authorizationIdOf(payment), payment.amount, key),
      kind: "refund",
      move: { from: "CAPTURED", to: "REFUNDED" },
    });
    if (refunded === undefined) throw notFound("PAYMENTS_NOT_FOUND", `order ${orderId} has no payment`);
    return refunded;
  };
}
