import type { Clock } from "@souk/platform";
import { deltaBetween, isEmptyDelta } from "../domain/aggregates.ts";
import { isLiveEvent } from "../domain/consumer-state.ts";
import { mergeOrderEvent, type OrderEvent } from "../domain/order-fact.ts";
import type { PaymentEvent } from "../domain/payment-fact.ts";
import type { AnalyticsStore } from "../domain/ports.ts";

/** An event analytics aggregates, with the envelope attributes it needs. */
export interface IncomingEvent {
  /** CloudEvents `id`: the inbox key. */
  readonly id: string;
  /** CloudEvents `type`, e.g. `souk.order.confirmed.v1`. */
  readonly type: string;
  /** CloudEvents `time`: when the state change happened. */
  readonly time: Date;
  /** The consumer group the event was received in. */
  readonly group: string;
  readonly body:
    | { readonly kind: "order"; readonly order: OrderEvent }
    | { readonly kind: "payment"; readonly payment: PaymentEvent };
}

/**
 * What recording an event did:
 * - `applied`: the event is recorded (its effect — possibly none for a logical duplicate — is
 *   committed with its inbox entry); `lagSeconds` = committed at − event time when the event is
 *   live (not a replay), else undefined;
 * - `duplicate`: the inbox already had the event id (a redelivery): nothing changed;
 * - `stale`: the event came through an abandoned consumer group (a rebuild started elsewhere):
 *   nothing changed, and the subscriber should switch to `consumerGroup`.
 */
export type RecordOutcome =
  | { readonly status: "applied"; readonly lagSeconds: number | undefined }
  | { readonly status: "duplicate" }
  | { readonly status: "stale"; readonly consumerGroup: string };

/**
 * Applies one event to the aggregates in ONE transaction with its inbox entry (the inbox pattern):
 * an order event is merged into the order's fact (`mergeOrderEvent`: the state-rank rule) and the
 * aggregates move by the change of the fact's contribution (`deltaBetween`); a payment event is
 * counted once per (payment, kind). Redelivery and reordering therefore leave the aggregates
 * exactly as one in-order delivery would.
 * @throws Error from the database (transient: the event log retries the event).
 */
export function recordEvent(store: AnalyticsStore, clock: Clock) {
  return async (event: IncomingEvent): Promise<RecordOutcome> => {
    const outcome = await store.transaction(
      async (uow): Promise<RecordOutcome | { status: "recorded"; live: boolean }> => {
        const state = await uow.consumerState();
        if (state.consumerGroup !== event.group) return { status: "stale", consumerGroup: state.consumerGroup };
        if (!(await uow.claimEvent(event.id))) return { status: "duplicate" };
        const live = isLiveEvent(state, event.time);
        if (event.body.kind === "order") {
          const existing = await uow.lockOrderFact(event.body.order.orderId);
          const merged = mergeOrderEvent(existing, event.body.order, { time: event.time, appliedAt: clock(), live });
          if (merged.changed) {
            await uow.saveOrderFact(merged.fact, existing === undefined);
            const delta = deltaBetween(existing, merged.fact);
            if (!isEmptyDelta(delta)) await uow.applyDelta(delta);
          }
        } else {
          await uow.recordPayment(event.body.payment);
        }
        return { status: "recorded", live };
      },
    );
    if (outcome.status !== "recorded") return outcome;
    // Measured once committed: the moment the aggregates show the event.
    const lagMs = clock().getTime() - event.time.getTime();
    return { status: "applied", lagSeconds: outcome.live ? Math.max(0, lagMs) / 1000 : undefined };
  };
}
