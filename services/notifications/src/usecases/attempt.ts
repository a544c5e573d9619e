import type { Clock } from "@souk/platform";
import { DeliveryBusyError, UndeliverableError, type AttemptResult } from "../domain/delivery.ts";
import type { DeliveryClaim, NotificationStore } from "../domain/ports.ts";

type Claimed = Extract<DeliveryClaim, { outcome: "claimed" }>;

/**
 * Runs one attempt at a delivery, shared by the email and webhook use cases: claims it (counting
 * the attempt and leasing it for `leaseMs`), runs `send`, then marks it sent. A duplicate job of a
 * sent or dead delivery does nothing. A failed `send` records its error on the delivery and is
 * rethrown, so the job queue retries or dead-letters the job.
 *
 * Delivery is at least once: a crash after `send` and before the delivery is marked sent repeats
 * it. Receivers deduplicate on the event id (the email's Message-ID, the webhook's `id`).
 *
 * @throws UndeliverableError `unknown_delivery` when the job names no delivery of this store;
 *   DeliveryBusyError (with the lease's end) while another worker holds the lease; whatever `send` throws.
 */
export async function attemptDelivery(
  deps: { store: NotificationStore; clock: Clock; leaseMs: number },
  deliveryId: string,
  send: (claim: Claimed) => Promise<void>,
): Promise<AttemptResult> {
  const now = deps.clock();
  const claim = await deps.store.claimDelivery(deliveryId, now, new Date(now.getTime() + deps.leaseMs));
  if (claim.outcome === "missing") throw new UndeliverableError("unknown_delivery", `no delivery ${deliveryId}`);
  if (claim.outcome === "busy") throw new DeliveryBusyError(deliveryId, claim.leasedUntil);
  if (claim.outcome === "done") return "duplicate";
  try {
    await send(claim);
  } catch (error) {
    await deps.store.recordFailure(deliveryId, error instanceof Error ? error.message : String(error));
    throw error;
  }
  await deps.store.markSent(deliveryId, deps.clock());
  return "sent";
}
