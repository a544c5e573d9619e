import type { Clock, Logger } from "@souk/platform";
import type { Order } from "../domain/order.ts";
import type { CartPort, OrderStore, PaymentPort, StockPort } from "../domain/ports.ts";
import { nextAction, transition, type SagaAction, type SagaPolicy, type StepOutcome } from "../domain/saga.ts";

/** What the saga runner needs. `owner` names this runner in leases (unique per process). */
export interface SagaRunnerDeps {
  readonly store: OrderStore;
  readonly stock: StockPort;
  readonly payments: PaymentPort;
  readonly cart: CartPort;
  readonly clock: Clock;
  readonly random: () => number;
  readonly policy: SagaPolicy;
  readonly owner: string;
  /** How long a lease protects a running saga from other runners; renewed after every step. */
  readonly leaseMs: number;
  /** Lifetime of the stock hold taken by reserve_stock. */
  readonly reservationTtlMs: number;
  readonly logger: Logger;
  /** True once the service is stopping: the runner finishes the step in flight and leaves the rest to recovery. */
  readonly stopping: () => boolean;
}

function perform(deps: SagaRunnerDeps, action: SagaAction, order: Order): Promise<StepOutcome> {
  switch (action) {
    case "reserve_stock":
      return deps.stock.reserve(order, deps.reservationTtlMs);
    case "authorize_payment":
      return deps.payments.authorize(order);
    case "commit_stock":
      return deps.stock.commit(order.id);
    case "release_stock":
      return deps.stock.release(order.id);
    case "void_payment":
      return deps.payments.void(order.id);
    case "capture_payment":
      return deps.payments.capture(order.id);
    case "clear_cart":
      return deps.cart.clear(order.userId);
    case "refund_payment":
      return deps.payments.refund(order.id);
    case "restock":
      return deps.stock.restock(order.id);
  }
}

/**
 * Runs an order's saga as far as it can go now: takes the order's lease, then performs the
 * next action, persists the transition, and repeats until the saga is done, waits for a
 * backoff, loses its lease, or the service stops. `target` is the order's id, or the order
 * when the caller holds it already (its lines are then not read again). Returns the order as
 * last persisted, or undefined when another runner holds the lease.
 */
export function advanceSaga(deps: SagaRunnerDeps) {
  const leaseUntil = () => new Date(deps.clock().getTime() + deps.leaseMs);
  return async (target: string | Order): Promise<Order | undefined> => {
    const orderId = typeof target === "string" ? target : target.id;
    let order = await deps.store.acquireLease(target, deps.owner, deps.clock(), leaseUntil());
    if (order === undefined) return undefined;
    try {
      for (;;) {
        const action = nextAction(order.saga);
        if (action === undefined || deps.stopping()) return order;
        if (order.saga.nextAttemptAt.getTime() > deps.clock().getTime()) return order;
        let outcome: StepOutcome;
        try {
          outcome = await perform(deps, action, order);
        } catch (error) {
          // The ports classify known failures; anything else is treated as transient and retried.
          deps.logger.error({ err: error, orderId, action }, "saga step threw; will retry");
          outcome = { kind: "retry", error: error instanceof Error ? error.message : String(error) };
        }
        const now = deps.clock();
        const next = transition(order, outcome, now, deps.policy, deps.random());
        const saved = await deps.store.saveTransition(order, deps.owner, action, outcome, next, now, leaseUntil());
        if (saved === undefined) {
          deps.logger.warn({ orderId, action }, "saga lease lost; another runner continues");
          return undefined;
        }
        if (saved.status !== order.status) {
          deps.logger.info(
            { orderId, from: order.status, to: saved.status, reason: saved.cancellationReason },
            "order status changed",
          );
        }
        order = saved;
        if (outcome.kind === "retry") {
          deps.logger.warn(
            { orderId, action, error: outcome.error, attempts: order.saga.attempts },
            "saga step will be retried",
          );
          return order;
        }
      }
    } finally {
      await deps.store.releaseLease(orderId, deps.owner);
    }
  };
}
