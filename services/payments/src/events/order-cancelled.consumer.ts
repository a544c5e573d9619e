import type { Kysely } from "kysely";
import {
  claimInboxEvent,
  decodeEvent,
  EVENTS,
  isEvent,
  OFF_PATH_BATCH_DELAY_MS,
  TOPICS,
  type EventLog,
  type ReceivedEvent,
  type Subscription,
} from "@souk/messaging";
import { SoukError, type Logger } from "@souk/platform";
import type { PaymentsDatabase } from "../store/payments.tables.ts";

/** Consumer group (and inbox name) of payments on the orders topic. */
export const PAYMENTS_ORDERS_GROUP = "payments";

/**
 * Voids the authorization of every cancelled order (`souk.order.cancelled.v1`), so a hold can
 * never outlive its order — e.g. an authorization that completed after the saga had already
 * timed out and compensated. `voidPayment` is idempotent (a no-op for a FAILED, VOIDED or absent
 * payment); the inbox row, written once the void is done, makes a redelivery skip it entirely.
 * Other order events are acknowledged untouched; poison events are dead-lettered by the adapter.
 */
export async function subscribeToCancelledOrders(deps: {
  readonly eventLog: EventLog;
  readonly db: Kysely<PaymentsDatabase>;
  readonly voidPayment: (orderId: string) => Promise<void>;
  readonly logger: Logger;
}): Promise<Subscription> {
  return deps.eventLog.subscribe({
    topics: [TOPICS.orders],
    group: PAYMENTS_ORDERS_GROUP,
    maxBatchDelayMs: OFF_PATH_BATCH_DELAY_MS,
    async handle(event: ReceivedEvent) {
      const decoded = decodeEvent(event);
      if (!isEvent(decoded, EVENTS.orderCancelled)) return;
      const seen = await deps.db
        .selectFrom("inbox")
        .select("event_id")
        .where("consumer", "=", PAYMENTS_ORDERS_GROUP)
        .where("event_id", "=", event.id)
        .executeTakeFirst();
      if (seen !== undefined) return;
      try {
        await deps.voidPayment(decoded.payload.orderId);
      } catch (error) {
        // Captured or refunded: the order's own saga owns that payment; nothing to void here.
        if (!(error instanceof SoukError && error.kind === "failed_precondition")) throw error;
        deps.logger.warn({ orderId: decoded.payload.orderId, err: error }, "cancelled order's payment is not voidable");
      }
      await claimInboxEvent(deps.db, PAYMENTS_ORDERS_GROUP, event.id);
    },
  });
}
