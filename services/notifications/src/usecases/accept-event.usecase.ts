import type { Clock, IdGenerator } from "@souk/platform";
import { planDeliveries, type Delivery } from "../domain/delivery.ts";
import type { NotificationEvent } from "../domain/notification-event.ts";
import type { NotificationStore, TraceContext } from "../domain/ports.ts";

/**
 * Accepts one consumed event, exactly once per event id: in one transaction, records it in the
 * inbox, creates its deliveries (an email for an order outcome, a webhook per subscribed active
 * endpoint) and their jobs in the outbox, carrying `trace` so the workers continue the event's
 * trace. Resolves the deliveries created, or undefined for a redelivered event (a no-op).
 */
export function acceptEvent(deps: { store: NotificationStore; newId: IdGenerator; clock: Clock }) {
  return async (event: NotificationEvent, trace: TraceContext): Promise<readonly Delivery[] | undefined> =>
    deps.store.acceptEvent(event, (endpoints) => planDeliveries(event, endpoints, deps.newId), trace, deps.clock());
}
