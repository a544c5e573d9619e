import { perTurnLoader, retryingKeysAlone, type Clock, type IdGenerator } from "@souk/platform";
import { EVENT_BATCH_SIZE } from "@souk/messaging";
import { planDeliveries, type Delivery } from "../domain/delivery.ts";
import type { NotificationEvent } from "../domain/notification-event.ts";
import type { NotificationStore, TraceContext } from "../domain/ports.ts";

/**
 * Accepts one consumed event, exactly once per event id: in one transaction, records it in the
 * inbox, creates its deliveries (an email for an order outcome, a webhook per subscribed active
 * endpoint) and their jobs in the outbox, carrying `trace` so the workers continue the event's
 * trace. Resolves the deliveries created, or undefined for a redelivered event (a no-op).
 *
 * The events accepted during one turn of the event loop — the event log's partitions are handled
 * concurrently, and a publish wakes several of them at once — share one transaction
 * (`NotificationStore.acceptEvents`): one inbox insert, one endpoint read and one commit for all
 * of them, instead of five statements each (group commit). If that transaction fails, each event
 * is accepted again alone, so an event that cannot be accepted fails only itself. The batch's
 * database spans belong to the trace of its first event; each job carries its own event's trace.
 *
 * @throws Error from the database (transient: the event log retries the event).
 */
export function acceptEvent(deps: { store: NotificationStore; newId: IdGenerator; clock: Clock }) {
  const accept = perTurnLoader<{ event: NotificationEvent; trace: TraceContext }, readonly Delivery[] | undefined>(
    retryingKeysAlone((batch) =>
      deps.store.acceptEvents(
        batch.map(({ event, trace }) => ({
          event,
          trace,
          plan: (endpoints) => planDeliveries(event, endpoints, deps.newId),
        })),
        deps.clock(),
      ),
    ),
    EVENT_BATCH_SIZE,
  );
  return (event: NotificationEvent, trace: TraceContext): Promise<readonly Delivery[] | undefined> =>
    accept({ event, trace });
}
