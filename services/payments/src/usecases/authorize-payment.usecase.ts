import { isUuid, notFound } from "@souk/platform";
import {
  AUTHORIZATION_LEASE_MS,
  assertSameAuthorization,
  validateAuthorizationRequest,
  type AuthorizationRequest,
  type Payment,
} from "../domain/payment.ts";
import type { PaymentMethod } from "../domain/payment-method.ts";
import type { AuthorizationDeps } from "./run-authorization.usecase.ts";

/**
 * Authorizes the payment of an order: fraud checks, then the provider (see `runAuthorization`).
 * Idempotent per order: the first call claims the order (a unique row), every repeat — even a
 * concurrent one — returns that payment, waiting for it while it is in flight.
 *
 * @returns the payment: AUTHORIZED, or FAILED with its failure code (a decline is not an error).
 * @throws SoukError invalid_argument PAYMENTS_INVALID_REQUEST (missing ids, amount not a
 *   positive integer, currency not ISO 4217); not_found PAYMENTS_METHOD_NOT_FOUND when the
 *   payment method does not exist or belongs to another user; conflict
 *   PAYMENTS_IDEMPOTENCY_MISMATCH when the order already has a payment with other details;
 *   unavailable PAYMENTS_PROVIDER_UNAVAILABLE or PAYMENTS_AUTHORIZATION_IN_PROGRESS (retry).
 */
export function authorizePayment(
  deps: AuthorizationDeps,
  run: (payment: Payment, method: PaymentMethod) => Promise<Payment>,
  settle: (orderId: string) => Promise<Payment | undefined>,
) {
  const settled = async (orderId: string): Promise<Payment> => {
    const payment = await settle(orderId);
    if (payment === undefined) throw new Error(`payment of order ${orderId} vanished`);
    return payment;
  };

  return async (request: AuthorizationRequest): Promise<Payment> => {
    const valid = validateAuthorizationRequest(request);
    const existing = await deps.payments.findByOrder(valid.orderId);
    if (existing !== undefined) {
      assertSameAuthorization(existing, valid);
      return existing.status === "PENDING" ? settled(valid.orderId) : existing;
    }
    const method = isUuid(valid.paymentMethodId) ? await deps.methods.find(valid.paymentMethodId) : undefined;
    if (method === undefined || method.userId !== valid.userId) {
      throw notFound("PAYMENTS_METHOD_NOT_FOUND", `payment method ${valid.paymentMethodId} not found`);
    }
    const now = deps.clock();
    const { claimed, payment } = await deps.payments.claim({
      id: deps.newId(),
      orderId: valid.orderId,
      userId: valid.userId,
      paymentMethodId: valid.paymentMethodId,
      amount: valid.amount,
      leaseUntil: new Date(now.getTime() + AUTHORIZATION_LEASE_MS),
    });
    if (claimed) return run(payment, method);
    assertSameAuthorization(payment, valid);
    return payment.status === "PENDING" ? settled(valid.orderId) : payment;
  };
}
