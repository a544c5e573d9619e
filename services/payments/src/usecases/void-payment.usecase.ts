import { authorizationIdOf, decideVoid, type Payment } from "../domain/payment.ts";
import { movePayment, type MovePaymentDeps } from "./move-payment.ts";

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
export function voidPayment(deps: MovePaymentDeps, settle: (orderId: string) => Promise<Payment | undefined>) {
  return async (orderId: string): Promise<void> => {
    await movePayment(deps, settle, orderId, {
      decide: decideVoid,
      callProvider: (payment, key) => deps.provider.void(authorizationIdOf(payment), key),
      kind: "void",
      move: { from: "AUTHORIZED", to: "VOIDED" },
    });
  };
}
