import type { ServiceImpl } from "@connectrpc/connect";
import {
  PaymentsService,
  PaymentStatus,
  type Payment as PaymentMessage,
  type PaymentMethod as PaymentMethodMessage,
} from "@souk/contracts/payments";
import { moneyToProto, type Money } from "@souk/platform";
import type { Payment } from "../domain/payment.ts";
import type { PaymentMethod } from "../domain/payment-method.ts";
import type { PaymentsUseCases } from "../index.ts";

const STATUS: Record<Payment["status"], PaymentStatus> = {
  PENDING: PaymentStatus.UNSPECIFIED,
  AUTHORIZED: PaymentStatus.AUTHORIZED,
  CAPTURED: PaymentStatus.CAPTURED,
  VOIDED: PaymentStatus.VOIDED,
  REFUNDED: PaymentStatus.REFUNDED,
  FAILED: PaymentStatus.FAILED,
};

function toPayment(p: Payment): Omit<PaymentMessage, "$typeName"> {
  return {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId,
    status: STATUS[p.status],
    amount: { $typeName: "souk.common.v1.Money", ...moneyToProto(p.amount) },
    paymentMethodId: p.paymentMethodId,
    failureCode: p.failureCode ?? "",
  };
}

function toPaymentMethod(m: PaymentMethod): Omit<PaymentMethodMessage, "$typeName"> {
  return { id: m.id, brand: m.brand, last4: m.last4, expMonth: m.expMonth, expYear: m.expYear };
}

/** Wire money → domain money; an amount beyond 2^53 stays unsafe, and validation refuses it. */
function toMoney(message: { amountMinor: bigint; currency: string } | undefined): Money | undefined {
  return message === undefined ? undefined : { amountMinor: Number(message.amountMinor), currency: message.currency };
}

/** gRPC handlers of souk.payments.v1.PaymentsService: decode, call one use case, encode. */
export function paymentsHandlers(uc: PaymentsUseCases): ServiceImpl<typeof PaymentsService> {
  return {
    async createPaymentMethod(req) {
      const card = req.card ?? { number: "", expMonth: 0, expYear: 0, cvc: "" };
      return { paymentMethod: toPaymentMethod(await uc.createPaymentMethod(req.userId, card)) };
    },
    async authorizePayment(req) {
      const payment = await uc.authorizePayment({
        orderId: req.orderId,
        userId: req.userId,
        paymentMethodId: req.paymentMethodId,
        amount: toMoney(req.amount),
      });
      return { payment: toPayment(payment) };
    },
    async capturePayment(req) {
      return { payment: toPayment(await uc.capturePayment(req.orderId)) };
    },
    async voidPayment(req) {
      await uc.voidPayment(req.orderId);
      return {};
    },
    async refundPayment(req) {
      return { payment: toPayment(await uc.refundPayment(req.orderId)) };
    },
    async getPayment(req) {
      return { payment: toPayment(await uc.getPayment(req.orderId)) };
    },
  };
}
