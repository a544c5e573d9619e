import { invalidArgument } from "@souk/platform";
import type { Delivery } from "../domain/delivery.ts";
import type { NotificationStore } from "../domain/ports.ts";

/**
 * The emails and webhooks caused by one order's events, oldest first (support, tests, proofs).
 * @throws SoukError invalid_argument NOTIFICATIONS_INVALID_ORDER_ID for an empty order id.
 */
export function listDeliveries(store: NotificationStore) {
  return async (orderId: string): Promise<readonly Delivery[]> => {
    if (orderId === "") {
      throw invalidArgument("NOTIFICATIONS_INVALID_ORDER_ID", "an order id is required", [
        { field: "order_id", message: "is required" },
      ]);
    }
    return store.listDeliveries(orderId);
  };
}
