import { perTurnLoader, retryingKeysAlone, type Clock } from "@souk/platform";
import { EVENT_BATCH_SIZE } from "@souk/messaging";
import { deltaBetween, isEmptyDelta, sumDeltas, type AggregateDelta } from "../domain/aggregates.ts";
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
 *
 * The events recorded during one turn of the event loop — the event log handles its partitions
 * concurrently — share one transaction (`recordEvents`; group commit): one consumer-state read,
 * one inbox insert, one read of the order facts and one upsert per aggregate table for all of
 * them. If that transaction fails, each event is recorded again alone, so an event that cannot be
 * recorded fails only itself. The batch's database spans belong to the trace of its first event.
 *
 * @throws Error from the database (transient: the event log retries the event).
 */
export function recordEvent(store: AnalyticsStore, clock: Clock): (event: IncomingEvent) => Promise<RecordOutcome> {
  return perTurnLoader(retryingKeysAlone(recordEvents(store, clock)), EVENT_BATCH_SIZE);
}

/**
 * Records `events` in ONE transaction, each as `recordEvent` would alone, in order: the facts of
 * the batch's orders are read and locked in one statement, an order event merges into its fact as
 * left by the events before it, and the aggregates move once by the sum of the batch's deltas
 * (`sumDeltas`, canonical: rows are locked in one global order). An event the inbox held already,
 * or that came through an abandoned consumer group, changes nothing. Resolves one outcome per
 * event, in order.
 * @throws Error from the database: nothing of the batch is recorded.
 */
export function recordEvents(store: AnalyticsStore, clock: Clock) {
  return async (events: readonly IncomingEvent[]): Promise<RecordOutcome[]> => {
    const outcomes = await store.transaction(async (uow) => {
      const state = await uow.consumerState();
      const current = (event: IncomingEvent) => event.group === state.consumerGroup;
      const claimed = await uow.claimEvents(events.filter(current).map((event) => event.id));
      const facts = await uow.lockOrderFacts(
        events.flatMap((event) =>
          current(event) && claimed.has(event.id) && event.body.kind === "order" ? [event.body.order.orderId] : [],
        ),
      );
      const deltas: AggregateDelta[] = [];
      const payments: PaymentEvent[] = [];
      const results: (RecordOutcome | { status: "recorded"; live: boolean })[] = [];
      for (const event of events) {
        if (!current(event)) {
          results.push({ status: "stale", consumerGroup: state.consumerGroup });
          continue;
        }
        // The first of two deliveries of one id in the batch takes the claim.
        if (!claimed.delete(event.id)) {
          results.push({ status: "duplicate" });
          continue;
        }
        const live = isLiveEvent(state, event.time);
        if (event.body.kind === "order") {
          const existing = facts.get(event.body.order.orderId);
          const merged = mergeOrderEvent(existing, event.body.order, { time: event.time, appliedAt: clock(), live });
          if (merged.changed) {
            await uow.saveOrderFact(merged.fact, existing === undefined);
            // A later event of the same order in this batch merges into this fact.
            facts.set(merged.fact.orderId, merged.fact);
            deltas.push(deltaBetween(existing, merged.fact));
          }
        } else {
          payments.push(event.body.payment);
        }
        results.push({ status: "recorded", live });
      }
      const delta = sumDeltas(deltas);
      if (!isEmptyDelta(delta)) await uow.applyDelta(delta);
      if (payments.length > 0) await uow.recordPayments(payments);
      return results;
    });
    // Measured once committed: the moment the aggregates show the events.
    const now = clock().getTime();
    return outcomes.map((outcome, k) => {
      if (outcome.status !== "recorded") return outcome;
      const lagMs = now - events[k]!.time.getTime();
      return { status: "applied", lagSeconds: outcome.live ? Math.max(0, lagMs) / 1000 : undefined };
    });
  };
}
