import type { Clock, IdGenerator } from "@souk/platform";
import type { NotificationStore } from "../domain/ports.ts";
import { validateWebhookEndpoint, type WebhookEndpoint } from "../domain/webhook-endpoint.ts";

/**
 * Registers a webhook endpoint with a new signing secret (returned here, and only here, to the
 * operator). Deliveries to it start with the next accepted event.
 * @throws SoukError invalid_argument NOTIFICATIONS_INVALID_WEBHOOK_ENDPOINT (see `validateWebhookEndpoint`).
 */
export function createWebhookEndpoint(deps: {
  store: NotificationStore;
  newId: IdGenerator;
  newSecret: () => string;
  clock: Clock;
}) {
  return async (url: string, eventTypes: readonly string[]): Promise<WebhookEndpoint> => {
    const input = validateWebhookEndpoint(url, eventTypes);
    return deps.store.createEndpoint({ ...input, id: deps.newId(), secret: deps.newSecret(), createdAt: deps.clock() });
  };
}
