import { notFound } from "@souk/platform";
import { authorizationIdOf, decideCapture, type Payment } from "../domain/payment.ts";
import { movePayment, type MovePaymentDeps } from "./move-payment.ts";

/**
 * Captures the authorized payment of `orderId` in full: the provider first (idempotency key
 * `<payment id>:capture`), then AUTHORIZED → CAPTURED with its posting (release the hold;
 * debit psp_receivable, credit sales_revenue) as one compare-and-set, so concurrent captures
 * post exactly once. Idempotent: capturing a captured payment returns it.
 *
 * @throws SoukError not_found PAYMENTS_NOT_FOUND; failed_precondition PAYMENTS_NOT_CAPTURABLE
 *   unless AUTHORIZED or CAPTURED; unavailable PAYMENTS_PROVIDER_UNAVAILABLE.
 */
export function capturePayment(deps: MovePaymentDeps, settle: (orderId: string) => Promise<Payment | undefined>) {
  return async (orderId: string): Promise<Payment> => {
    const captured = await movePayment(deps, settle, orderId, {
      decide: decideCapture,
      callProvider: (payment, key) => deps.provider.capture(authorizationIdOf(payment), payment.amount, key),
      kind: "capture",
      move: { from: "AUTHORIZED", to: "CAPTURED" },
    });
    if (captured === undefined) throw notFound("PAYMENTS_NOT_FOUND", `order ${orderId} has no payment`);
    return captured;
  };
}
