import { setTimeout as delay } from "node:timers/promises";
import type { Clock, Supervisor } from "@souk/platform";
import { assertCancellable, type Order } from "../domain/order.ts";
import type { OrderStore } from "../domain/ports.ts";
import type { advanceSaga } from "./advance-saga.usecase.ts";
import type { getOrder } from "./get-order.usecase.ts";

/**
 * Cancels a confirmed order at the customer's request: the payment is refunded and the stock
 * put back, ending REFUNDED. The refund starts leased to this runner (`owner`, the saga
 * runner's, for `leaseMs`), so it is this call that runs it, not another replica's recovery
 * pass; it waits up to `waitMs` for that, and the refund completes in the background (and after
 * a crash, through recovery once the lease expires) if it takes longer.
 * @throws SoukError not_found ORDERS_NOT_FOUND; failed_precondition ORDERS_NOT_CANCELLABLE.
 */
export function cancelOrder(deps: {
  store: OrderStore;
  find: ReturnType<typeof getOrder>;
  advance: ReturnType<typeof advanceSaga>;
  supervisor: Supervisor;
  clock: Clock;
  waitMs: number;
  owner: string;
  leaseMs: number;
}) {
  return async (userId: string, orderId: string): Promise<Order> => {
    const order = await deps.find(userId, orderId);
    assertCancellable(order);
    const now = deps.clock();
    const started = await deps.store.startRefund(
      order.id,
      userId,
      now,
      deps.owner,
      new Date(now.getTime() + deps.leaseMs),
    );
    if (started === undefined) {
      // Someone else changed the order in between: explain with its fresh state.
      assertCancellable(await deps.find(userId, orderId));
      return deps.find(userId, orderId);
    }
    const refund = deps.supervisor.run(`refund saga ${order.id}`, deps.advance(started));
    const timer = new AbortController();
    await Promise.race([refund, delay(deps.waitMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
    return deps.find(userId, orderId);
  };
}
