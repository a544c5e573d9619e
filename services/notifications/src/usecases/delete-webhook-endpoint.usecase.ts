import { notFound, type Clock } from "@souk/platform";
import type { NotificationStore } from "../domain/ports.ts";
import type { WebhookEndpoint } from "../domain/webhook-endpoint.ts";

/** Error code of an unknown endpoint. */
export const WEBHOOK_ENDPOINT_NOT_FOUND = "NOTIFICATIONS_WEBHOOK_ENDPOINT_NOT_FOUND";

/**
 * Deactivates a webhook endpoint (idempotent): no delivery is created for it any more, and its
 * pending deliveries are dead-lettered (`endpoint_deactivated`) instead of attempted.
 * @throws SoukError not_found NOTIFICATIONS_WEBHOOK_ENDPOINT_NOT_FOUND.
 */
export function deleteWebhookEndpoint(deps: { store: NotificationStore; clock: Clock }) {
  return async (id: string): Promise<WebhookEndpoint> => {
    const endpoint = id === "" ? undefined : await deps.store.deactivateEndpoint(id, deps.clock());
    if (endpoint === undefined) throw notFound(WEBHOOK_ENDPOINT_NOT_FOUND, `no webhook endpoint ${id}`);
    return endpoint;
  };
}
