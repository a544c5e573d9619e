import type { AggregateDelta, BucketDelta } from "./aggregates.ts";
import type { ConsumerState } from "./consumer-state.ts";
import type { OrderFact } from "./order-fact.ts";
import type { PaymentEvent } from "./payment-fact.ts";
import type { CurrencyTotals, EventLag, ProductSales, ReasonCount, TimeWindow, TopProductsQuery } from "./report.ts";

/**
 * What one event's transaction may do: the inbox claim and the effect commit or roll back
 * together, so an event is applied exactly once however often it is delivered.
 */
export interface AnalyticsUnitOfWork {
  /**
   * The current consumer generation. Read first in every event transaction: a rebuild locks it
   * (with every aggregate table) while it wipes, so this read orders the transaction after it.
   * @throws Error when the state was never created (`ensureConsumerState` runs at start-up).
   */
  consumerState(): Promise<ConsumerState>;
  /**
   * Records the event ids in analytics' inbox, in one statement; resolves those claimed now (the
   * others were processed before: redeliveries). An id given twice is claimed once.
   */
  claimEvents(eventIds: readonly string[]): Promise<Set<string>>;
  /**
   * The facts of these orders, by order id, locked until the transaction ends (in order-id order,
   * so two transactions sharing orders cannot deadlock); an unknown order has no entry.
   */
  lockOrderFacts(orderIds: readonly string[]): Promise<Map<string, OrderFact>>;
  /**
   * Inserts (`isNew`) or updates an order fact.
   * @throws Error (transient: the event is retried) when a concurrent transaction inserted the same order first.
   */
  saveOrderFact(fact: OrderFact, isNew: boolean): Promise<void>;
  /** Adds a (canonical) delta to the minute buckets, product sales and cancellation reasons. */
  applyDelta(delta: AggregateDelta): Promise<void>;
  /**
   * Counts each payment state change once per (payment, kind) in its minute bucket: one insert of
   * the facts, then one upsert of the buckets they move (summed, in key order).
   * @returns per payment, in order: false when that payment already had that state — recorded
   * before, or earlier in `payments` (a logical duplicate: nothing moves).
   */
  recordPayments(payments: readonly PaymentEvent[]): Promise<boolean[]>;
}

/** Port: analytics' storage (PostgreSQL through Kysely in `store/`). */
export interface AnalyticsStore {
  /** Runs `work` in one database transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(work: (uow: AnalyticsUnitOfWork) => Promise<T>): Promise<T>;
  /**
   * The consumer generation, created on first use as `{ baseGroup, consumerGroup: baseGroup,
   * startedAt: now }`. When the configured `baseGroup` differs from the stored one (the operator
   * changed ANALYTICS_CONSUMER_GROUP), switches to it with `startedAt = now`: the new group replays
   * the topics and the inbox makes every event already applied a no-op.
   */
  ensureConsumerState(baseGroup: string, now: Date): Promise<ConsumerState>;
  /** The current generation; undefined before `ensureConsumerState`. */
  consumerState(): Promise<ConsumerState | undefined>;
  /**
   * In one transaction: waits for every event transaction in flight (table locks), empties every
   * fact and aggregate and analytics' inbox, and makes `next` the current generation.
   */
  resetForRebuild(next: ConsumerState): Promise<void>;
  /** Per-currency sums of the minute buckets (orders and payments) whose minute lies in `window`, by currency. */
  totals(window: TimeWindow): Promise<CurrencyTotals[]>;
  /** The non-empty minute buckets of [from, to), of `currency` (every currency when undefined). */
  buckets(window: { from: Date; to: Date }, currency: string | undefined): Promise<BucketDelta[]>;
  /** Best sellers by units or revenue (ties by product id, then currency). */
  topProducts(query: TopProductsQuery): Promise<ProductSales[]>;
  /** Cancellation reasons, most frequent first, then by reason. */
  cancellationReasons(): Promise<ReasonCount[]>;
  /** p50/p99/max of the lag of the `samples` most recently applied live order confirmations. */
  eventLag(samples: number): Promise<EventLag>;
  /** Events in analytics' inbox (applied in the current generation). */
  eventsProcessed(): Promise<number>;
}

/** Port: control over analytics' event-log subscription (the `events/` consumer implements it). */
export interface ConsumerControl {
  /**
   * Stops the subscription (waiting for the event in flight), runs `between`, then — if the
   * consumer was running — subscribes again with the group `between` resolves to. Serialised with
   * start, stop and other restarts.
   */
  restartWith(between: () => Promise<string>): Promise<void>;
}
