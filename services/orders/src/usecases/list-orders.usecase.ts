import { invalidArgument, isUuid } from "@souk/platform";
import type { Order } from "../domain/order.ts";
import type { OrderStore } from "../domain/ports.ts";

/** A page of orders, newest first; `nextCursor` is empty on the last page. */
export interface OrderPage {
  readonly orders: Order[];
  readonly nextCursor: string;
}

/**
 * The user's orders, newest first, keyset-paginated by id (UUIDv7 ids sort by creation time).
 * `limit` 1..100, 0 = 20.
 * @throws SoukError invalid_argument ORDERS_INVALID_PAGE for a bad limit or cursor.
 */
export function listOrders(store: OrderStore) {
  return async (userId: string, limit: number, cursor: string): Promise<OrderPage> => {
    const size = limit === 0 ? 20 : limit;
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      throw invalidArgument("ORDERS_INVALID_PAGE", "invalid page", [{ field: "limit", message: "must be 1..100" }]);
    }
    if (cursor !== "" && !isUuid(cursor)) {
      throw invalidArgument("ORDERS_INVALID_PAGE", "invalid page", [
        { field: "cursor", message: "is not a valid cursor" },
      ]);
    }
    const rows = await store.listByUser(userId, size + 1, cursor === "" ? undefined : cursor);
    const orders = rows.slice(0, size);
    return { orders, nextCursor: rows.length > size ? (orders.at(-1)?.id ?? "") : "" };
  };
}
