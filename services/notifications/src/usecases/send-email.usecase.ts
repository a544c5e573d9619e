import type { Clock } from "@souk/platform";
import { emailMessageId, UndeliverableError, type AttemptResult } from "../domain/delivery.ts";
import { renderOrderEmail, type EmailBranding } from "../domain/email-template.ts";
import type { EmailSender, NotificationStore, Recipients } from "../domain/ports.ts";
import { attemptDelivery } from "./attempt.ts";

/** What `sendEmail` needs. */
export interface SendEmailDeps {
  readonly store: NotificationStore;
  readonly recipients: Recipients;
  readonly sender: EmailSender;
  readonly clock: Clock;
  readonly branding: EmailBranding;
  /** How long an attempt holds the delivery before another worker may take it over. */
  readonly leaseMs: number;
}

/**
 * Sends the customer email of an email delivery: looks the customer up (identity), renders the
 * order's template and sends it with Message-ID `<event-id@souk>` and the headers
 * `X-Souk-Event-Id`, `X-Souk-Delivery-Id` and `X-Souk-Order-Id`, then marks the delivery sent. A delivery already
 * sent is not sent again. See `attemptDelivery` for leases and failures.
 *
 * @throws UndeliverableError `recipient_not_found` when identity has no such user; errors of the
 *   SMTP server or of identity (retried by the job queue).
 */
export function sendEmail(deps: SendEmailDeps) {
  return async (deliveryId: string): Promise<AttemptResult> =>
    attemptDelivery(deps, deliveryId, async ({ delivery, event }) => {
      const recipient = await deps.recipients.find(event.userId);
      if (recipient === undefined) {
        throw new UndeliverableError("recipient_not_found", `user ${event.userId} does not exist`);
      }
      const rendered = renderOrderEmail(event, recipient, deps.branding);
      await deps.sender.send({
        to: recipient,
        ...rendered,
        messageId: emailMessageId(event.id),
        headers: { "X-Souk-Event-Id": event.id, "X-Souk-Delivery-Id": delivery.id, "X-Souk-Order-Id": event.orderId },
      });
    });
}
