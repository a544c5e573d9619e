import type { Client } from "@connectrpc/connect";
import { PaymentStatus, type PaymentsService } from "@souk/contracts/payments";
import { fromConnectError, moneyToProto } from "@souk/platform";
import type { PaymentPort } from "../domain/ports.ts";
import { outcomeOf, outcomeOfError } from "./step-outcome.ts";

/** The saga's PaymentPort over payments' Connect client. */
export function paymentsPort(payments: Client<typeof PaymentsService>): PaymentPort {
  return {
    async createPaymentMethod(userId, card) {
      try {
        const response = await payments.createPaymentMethod({ userId, card });
        if (response.paymentMethod === undefined) throw new Error("payments returned no payment method");
        return response.paymentMethod.id;
      } catch (error) {
        throw fromConnectError(error);
      }
    },
    async authorize(order) {
      try {
        const { payment } = await payments.authorizePayment({
          orderId: order.id,
          userId: order.userId,
          paymentMethodId: order.paymentMethodId,
          amount: moneyToProto(order.total),
        });
        if (payment?.status === PaymentStatus.AUTHORIZED || payment?.status === PaymentStatus.CAPTURED)
          return { kind: "ok" };
        return { kind: "failed", reason: payment?.failureCode || "payment_failed" };
      } catch (error) {
        return outcomeOfError(error);
      }
    },
    capture: (orderId) => outcomeOf(() => payments.capturePayment({ orderId })),
    void: (orderId) => outcomeOf(() => payments.voidPayment({ orderId })),
    refund: (orderId) => outcomeOf(() => payments.refundPayment({ orderId })),
  };
}
