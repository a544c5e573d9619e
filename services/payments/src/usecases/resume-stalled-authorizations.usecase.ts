import type { Clock, Logger } from "@souk/platform";
import type { Payment, PaymentStore } from "../domain/payment.ts";

/**
 * The recovery loop: finishes up to `batchSize` authorizations abandoned by a dead process
 * (PENDING with an expired lease) by settling them — taking the lease over and driving them to
 * AUTHORIZED or FAILED, with the same provider idempotency key as the first attempt.
 * A payment that fails to settle (provider down) is logged and left for the next run.
 * @returns how many payments it brought out of PENDING.
 */
export function resumeStalledAuthorizations(
  deps: { payments: PaymentStore; clock: Clock; logger: Logger },
  settle: (orderId: string) => Promise<Payment | undefined>,
) {
  return async (batchSize = 100): Promise<number> => {
    const stalled = await deps.payments.findStalled(deps.clock(), batchSize);
    let resumed = 0;
    for (const orderId of stalled) {
      try {
        const payment = await settle(orderId);
        if (payment !== undefined && payment.status !== "PENDING") resumed += 1;
      } catch (error) {
        deps.logger.warn({ err: error, orderId }, "could not resume a stalled authorization; will retry");
      }
    }
    return resumed;
  };
}
