import { setTimeout as sleep } from "node:timers/promises";
import { unavailable, type Clock } from "@souk/platform";
import { AUTHORIZATION_LEASE_MS, type Payment, type PaymentStore } from "../domain/payment.ts";

/** Longest a caller waits, in real time, for another caller's authorization to end. */
export const SETTLE_MAX_WAIT_MS = AUTHORIZATION_LEASE_MS + 5_000;

/**
 * Brings the payment of `orderId` out of PENDING before a caller acts on it: while another
 * caller's lease runs it polls (5 ms doubling to 100 ms); once the lease has run out (that
 * caller died) it takes the lease over (compare-and-set, so one taker wins) and drives the
 * authorization itself with `run`.
 *
 * @returns the payment, no longer PENDING, or undefined when the order has none.
 * @throws SoukError unavailable PAYMENTS_AUTHORIZATION_IN_PROGRESS after `SETTLE_MAX_WAIT_MS`
 *   of waiting (retry later); whatever `run` throws.
 */
export function settlePayment(deps: { payments: PaymentStore; clock: Clock }, run: (p: Payment) => Promise<Payment>) {
  return async (orderId: string): Promise<Payment | undefined> => {
    const started = performance.now();
    let delayMs = 5;
    for (;;) {
      const payment = await deps.payments.findByOrder(orderId);
      if (payment === undefined || payment.status !== "PENDING") return payment;
      const now = deps.clock();
      if (payment.leaseUntil.getTime() <= now.getTime()) {
        const leaseUntil = new Date(now.getTime() + AUTHORIZATION_LEASE_MS);
        if (await deps.payments.takeOver(payment.id, now, leaseUntil)) return run({ ...payment, leaseUntil });
        continue;
      }
      if (performance.now() - started >= SETTLE_MAX_WAIT_MS) {
        throw unavailable(
          "PAYMENTS_AUTHORIZATION_IN_PROGRESS",
          `the authorization of order ${orderId} is still in progress; retry later`,
        );
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 100);
    }
  };
}
