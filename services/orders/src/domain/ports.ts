import type { CardInput, Order, OrderLine } from "./order.ts";
import type { SagaAction, StepOutcome, Transition } from "./saga.ts";

/** Orders' persistence port. Every write that moves a saga is guarded by the caller's lease. */
export interface OrderStore {
  /** The user's order placed with this Idempotency-Key, if any. */
  findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<Order | undefined>;
  /**
   * Inserts a new PENDING order with its lines, leased to `owner` until `leaseUntil`.
   * Returns the order already holding the (user, Idempotency-Key) pair when it lost that race.
   */
  insert(
    order: Order,
    owner: string,
    leaseUntil: Date,
  ): Promise<{ inserted: true } | { inserted: false; existing: Order }>;
  /** One order by id, or undefined. */
  get(orderId: string): Promise<Order | undefined>;
  /** The user's orders, newest first, strictly older than `beforeId` when given (UUIDv7 ids sort by time). */
  listByUser(userId: string, limit: number, beforeId: string | undefined): Promise<Order[]>;
  /**
   * Takes the saga lease of an order whose saga is not done and whose lease is free or held by
   * `owner` (a compare-and-set on `lease_until`). `order` is the order's id, or the order itself
   * when the caller holds it already: its lines (which never change after insert) are then
   * reused instead of read again. Returns the leased order, or undefined when another runner
   * holds it or there is nothing to run.
   */
  acquireLease(order: string | Order, owner: string, now: Date, leaseUntil: Date): Promise<Order | undefined>;
  /**
   * Persists one saga step's transition of `order` (as the caller last saw it: its id and lines
   * are used, and its status predicts whether an event is due) and appends the step to the saga
   * log, atomically and only while `owner` still holds the lease. A status change also writes
   * its event (`orderStatusEvent`) to the outbox in the same transaction.
   * @returns the order as saved (with `order.lines`), or undefined — having persisted nothing —
   *   when `owner` lost the lease or the order does not exist.
   */
  saveTransition(
    order: Order,
    owner: string,
    action: SagaAction,
    outcome: StepOutcome,
    next: Transition,
    now: Date,
    leaseUntil: Date,
  ): Promise<Order | undefined>;
  /** Gives the lease up. */
  releaseLease(orderId: string, owner: string): Promise<void>;
  /** Ids of orders whose saga has work due at `now` and whose lease is free, oldest first. */
  findRunnable(now: Date, limit: number): Promise<string[]>;
  /**
   * Starts the refund of a confirmed, captured order of `userId` (compare-and-set from
   * CONFIRMED/done to CONFIRMED/refunding), leased to `owner` until `leaseUntil` in the same
   * write, as a checkout's new order is: the canceller runs the refund, and no other runner's
   * recovery pass takes it first. (A lease left on a done saga is taken over: its holder has
   * nothing left to write.) Returns the updated order or undefined when the order was not in
   * that state.
   */
  startRefund(orderId: string, userId: string, now: Date, owner: string, leaseUntil: Date): Promise<Order | undefined>;
}

/** Inventory as the saga needs it. Every call is idempotent per order id. */
export interface StockPort {
  reserve(order: Order, ttlMs: number): Promise<StepOutcome>;
  commit(orderId: string): Promise<StepOutcome>;
  release(orderId: string): Promise<StepOutcome>;
  restock(orderId: string): Promise<StepOutcome>;
}

/** Payments as the saga needs it. Every call but tokenization is idempotent per order id. */
export interface PaymentPort {
  /**
   * Tokenizes the card (the number never reaches orders' storage).
   * @returns the payment method id.
   * @throws SoukError invalid_argument with `card.*` fields for a bad card.
   */
  createPaymentMethod(userId: string, card: CardInput): Promise<string>;
  /** Fraud checks + authorization; a decline is `failed` with the decline code as reason. */
  authorize(order: Order): Promise<StepOutcome>;
  capture(orderId: string): Promise<StepOutcome>;
  void(orderId: string): Promise<StepOutcome>;
  refund(orderId: string): Promise<StepOutcome>;
}

/** The cart as checkout needs it. */
export interface CartPort {
  /** The user's priced cart lines (empty when no cart). */
  lines(userId: string): Promise<OrderLine[]>;
  clear(userId: string): Promise<StepOutcome>;
}
