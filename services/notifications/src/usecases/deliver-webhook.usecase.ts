import type { Clock } from "@souk/platform";
import { UndeliverableError, type AttemptResult } from "../domain/delivery.ts";
import { webhookPayload } from "../domain/notification-event.ts";
import type { NotificationStore, WebhookSender, WebhookSigner } from "../domain/ports.ts";
import { attemptDelivery } from "./attempt.ts";

/** The User-Agent of webhook requests. */
export const WEBHOOK_USER_AGENT = "Souk-Webhooks/1";

/** What `deliverWebhook` needs. */
export interface DeliverWebhookDeps {
  readonly store: NotificationStore;
  readonly sender: WebhookSender;
  readonly sign: WebhookSigner;
  readonly clock: Clock;
  /** Time the endpoint has to answer, in ms. */
  readonly timeoutMs: number;
  readonly leaseMs: number;
}

/**
 * POSTs a webhook delivery to its endpoint: the JSON body `{ id, type, created, data }`
 * (`webhookPayload`), signed at the current time in `Souk-Signature: t=…,v1=…` (HMAC-SHA256 with
 * the endpoint's secret over `"<t>.<body>"`, Stripe's scheme), with `Souk-Event-Id`,
 * `Souk-Delivery-Id`, `content-type: application/json` and `user-agent: Souk-Webhooks/1`. A 2xx
 * answer marks the delivery sent; anything else, a timeout or a connection error fails the
 * attempt (the job queue retries with backoff, then dead-letters). Each attempt is signed anew,
 * so a retry carries a fresh timestamp.
 *
 * @throws UndeliverableError `endpoint_deactivated` when the endpoint was deleted since;
 *   Error `endpoint answered <status>`; the sender's timeout and connection errors.
 */
export function deliverWebhook(deps: DeliverWebhookDeps) {
  return async (deliveryId: string): Promise<AttemptResult> =>
    attemptDelivery(deps, deliveryId, async ({ delivery, event, endpoint }) => {
      if (endpoint === undefined || !endpoint.active) {
        throw new UndeliverableError("endpoint_deactivated", `endpoint ${delivery.endpointId} was deleted`);
      }
      const body = JSON.stringify(webhookPayload(event));
      const timestampSeconds = Math.floor(deps.clock().getTime() / 1000);
      const { status } = await deps.sender.post({
        url: endpoint.url,
        body,
        headers: {
          "content-type": "application/json",
          "user-agent": WEBHOOK_USER_AGENT,
          "souk-signature": deps.sign(endpoint.secret, body, timestampSeconds),
          "souk-event-id": event.id,
          "souk-delivery-id": delivery.id,
        },
        timeoutMs: deps.timeoutMs,
      });
      if (status < 200 || status > 299) throw new Error(`endpoint answered ${status}`);
    });
}
