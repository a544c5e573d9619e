import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PaymentEventKind } from "@souk/contracts/events/payments";
import { EVENTS, newEvent, type OutboxMessage } from "@souk/messaging";
import type { Payment } from "../domain/payment.ts";

/** CloudEvents `source` of payments' events. */
export const PAYMENTS_EVENT_SOURCE = "/souk/payments";

const KINDS = {
  AUTHORIZED: [EVENTS.paymentAuthorized, PaymentEventKind.AUTHORIZED],
  CAPTURED: [EVENTS.paymentCaptured, PaymentEventKind.CAPTURED],
  VOIDED: [EVENTS.paymentVoided, PaymentEventKind.VOIDED],
  REFUNDED: [EVENTS.paymentRefunded, PaymentEventKind.REFUNDED],
  FAILED: [EVENTS.paymentFailed, PaymentEventKind.FAILED],
} as const;

/**
 * The `souk.payment.<status>.v1` event of a payment that just moved to its current status
 * (subject = the order id, so a consumer sees one order's payment events in order).
 * PENDING publishes nothing.
 */
export function paymentChangedEvent(payment: Payment, at: Date): OutboxMessage | undefined {
  if (payment.status === "PENDING") return undefined;
  const [definition, kind] = KINDS[payment.status];
  return newEvent(
    definition,
    {
      paymentId: payment.id,
      orderId: payment.orderId,
      userId: payment.userId,
      kind,
      amount: { amountMinor: BigInt(payment.amount.amountMinor), currency: payment.amount.currency },
      failureCode: payment.failureCode ?? "",
      at: timestampFromDate(at),
    },
    { source: PAYMENTS_EVENT_SOURCE, subject: payment.orderId, time: at },
  );
}
