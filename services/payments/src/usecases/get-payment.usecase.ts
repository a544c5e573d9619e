import { notFound } from "@souk/platform";
import type { Payment, PaymentStore } from "../domain/payment.ts";

/**
 * The payment of `orderId`, as stored (PENDING while its authorization is in flight).
 * @throws SoukError not_found PAYMENTS_NOT_FOUND when the order has none.
 */
export function getPayment(payments: PaymentStore) {
  return async (orderId: string): Promise<Payment> => {
    const payment = await payments.findByOrder(orderId);
    if (payment === undefined) throw notFound("PAYMENTS_NOT_FOUND", `order ${orderId} has no payment`);
    return payment;
  };
}
