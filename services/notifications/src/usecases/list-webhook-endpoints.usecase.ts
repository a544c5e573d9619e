import type { NotificationStore } from "../domain/ports.ts";
import type { WebhookEndpoint } from "../domain/webhook-endpoint.ts";

/** Every webhook endpoint, active or deactivated, newest first. */
export function listWebhookEndpoints(store: NotificationStore) {
  return async (): Promise<readonly WebhookEndpoint[]> => store.listEndpoints();
}
