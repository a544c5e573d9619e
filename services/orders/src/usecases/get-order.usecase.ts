import { isUuid, notFound } from "@souk/platform";
import type { Order } from "../domain/order.ts";
import type { OrderStore } from "../domain/ports.ts";

/**
 * One of the user's orders. Another user's order is indistinguishable from a missing one
 * (OWASP API1:2023 Broken Object Level Authorization).
 * @throws SoukError not_found ORDERS_NOT_FOUND.
 */
export function getOrder(store: OrderStore) {
  return async (userId: string, orderId: string): Promise<Order> => {
    const order = isUuid(orderId) ? await store.get(orderId) : undefined;
    if (order === undefined || order.userId !== userId) throw notFound("ORDERS_NOT_FOUND", "order not found");
    return order;
  };
}
