import { newId } from "@souk/platform";
import type { NotificationEvent, OrderEventData } from "../domain/notification-event.ts";

/**
 * An `order.<status>` event of `orderId` as notifications receive it, for tests: a new id,
 * user `user-1`, no lines, never placed, happened at `occurredAt`. `total` (minor units) and
 * `reason` are the payload's.
 */
export function orderEvent(
  status: OrderEventData["status"],
  orderId: string,
  { total, reason = null, occurredAt }: { total: OrderEventData["total"]; reason?: string | null; occurredAt: Date },
): NotificationEvent {
  return {
    id: newId(),
    type: `order.${status}`,
    orderId,
    userId: "user-1",
    occurredAt,
    data: {
      object: "order",
      orderId,
      userId: "user-1",
      status,
      lines: [],
      total,
      reason,
      placedAt: null,
      occurredAt: occurredAt.toISOString(),
    },
  };
}
