import type { Order, OrderStatus, SagaState } from "./order.ts";

/**
 * The checkout saga (ARCHITECTURE.md "The checkout saga"), orchestrated by orders.
 * Each forward step is declared beside its compensation (Medusa's createStep(invoke,
 * compensate)); a failure runs the compensations of the steps done so far, in reverse.
 *
 *   forward:      reserve_stock → authorize_payment → commit_stock      (then CONFIRMED)
 *   compensating: void_payment ← release_stock                           (then CANCELLED)
 *   capturing:    capture_payment → clear_cart                           (after CONFIRMED)
 *   refunding:    refund_payment → restock                               (then REFUNDED)
 *
 * The state is persisted after every step, so a crashed process resumes where it stopped;
 * every step is idempotent per order id at the service it calls, so re-running one is safe.
 */
export const CHECKOUT_STEPS = [
  { invoke: "reserve_stock", compensate: "release_stock" },
  { invoke: "authorize_payment", compensate: "void_payment" },
  // Once committed, stock leaves only through a refund (restock); nothing fails after this step.
  { invoke: "commit_stock", compensate: undefined },
] as const;

/** Steps that run after the order is CONFIRMED; they only move forward (retried until done). */
export const CAPTURE_STEPS = ["capture_payment", "clear_cart"] as const;

/** Steps that refund a confirmed order the customer cancelled. */
export const REFUND_STEPS = ["refund_payment", "restock"] as const;

/** Every action the saga can ask a service to do. */
export type SagaAction =
  | (typeof CHECKOUT_STEPS)[number]["invoke"]
  | NonNullable<(typeof CHECKOUT_STEPS)[number]["compensate"]>
  | (typeof CAPTURE_STEPS)[number]
  | (typeof REFUND_STEPS)[number];

/**
 * How a step ended: `ok`; `failed` — a business outcome that will not change on retry
 * (card declined, out of stock), with the reason the order is cancelled for; `retry` — a
 * transient fault (service down, deadline) worth trying again later.
 */
export type StepOutcome = { kind: "ok" } | { kind: "failed"; reason: string } | { kind: "retry"; error: string };

/** Retry and timeout policy of the saga. */
export interface SagaPolicy {
  /** First retry delay in ms; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Largest retry delay in ms. */
  readonly maxDelayMs: number;
  /** A checkout still failing transiently this long after it was placed is cancelled (`saga_timeout`). */
  readonly forwardTimeoutMs: number;
}

/** The action to run next for `saga`, or undefined when there is nothing left to do. */
export function nextAction(saga: SagaState): SagaAction | undefined {
  switch (saga.phase) {
    case "forward":
      return CHECKOUT_STEPS[saga.step]?.invoke;
    case "compensating":
      return CHECKOUT_STEPS[saga.step]?.compensate;
    case "capturing":
      return CAPTURE_STEPS[saga.step];
    case "refunding":
      return REFUND_STEPS[saga.step];
    case "done":
      return undefined;
  }
}

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(max, base·2^attempt)]
 * (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015). `random` is in [0, 1).
 */
export function backoffMs(attempt: number, policy: SagaPolicy, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random * ceiling);
}

/** What a step's outcome changes on the order. */
export interface Transition {
  readonly status: OrderStatus;
  readonly cancellationReason: string | undefined;
  readonly saga: SagaState;
}

/** Moves past compensating steps that have nothing to undo. */
function skipEmptyCompensations(step: number): number {
  let s = step;
  while (s >= 0 && CHECKOUT_STEPS[s]?.compensate === undefined) s -= 1;
  return s;
}

/**
 * The saga's state machine: given an order and the outcome of its current action, returns
 * the order's next status, cancellation reason and saga state. Pure: `now` and `random`
 * are passed in.
 */
export function transition(
  order: Order,
  outcome: StepOutcome,
  now: Date,
  policy: SagaPolicy,
  random: number,
): Transition {
  const { saga } = order;
  const at = (phase: SagaState["phase"], step: number): SagaState => ({ phase, step, attempts: 0, nextAttemptAt: now });
  const later = (): SagaState => ({
    ...saga,
    attempts: saga.attempts + 1,
    nextAttemptAt: new Date(now.getTime() + backoffMs(saga.attempts, policy, random)),
  });
  const keep = { status: order.status, cancellationReason: order.cancellationReason };

  const compensate = (failedStep: number, reason: string): Transition => {
    const step = skipEmptyCompensations(failedStep);
    return step < 0
      ? { status: "CANCELLED", cancellationReason: reason, saga: at("done", 0) }
      : { status: "PENDING", cancellationReason: reason, saga: at("compensating", step) };
  };

  switch (saga.phase) {
    case "forward": {
      if (outcome.kind === "ok") {
        const next = saga.step + 1;
        return next < CHECKOUT_STEPS.length
          ? { ...keep, saga: at("forward", next) }
          : { status: "CONFIRMED", cancellationReason: undefined, saga: at("capturing", 0) };
      }
      if (outcome.kind === "failed") return compensate(saga.step, outcome.reason);
      const expired = now.getTime() - order.createdAt.getTime() >= policy.forwardTimeoutMs;
      // The failed step may have half-happened (a timeout after the service acted), so its own
      // compensation runs too; every compensation is a no-op when there is nothing to undo.
      return expired ? compensate(saga.step, "saga_timeout") : { ...keep, saga: later() };
    }
    case "compensating": {
      // A compensation must finish: anything but success is retried with backoff.
      if (outcome.kind !== "ok") return { ...keep, saga: later() };
      const step = skipEmptyCompensations(saga.step - 1);
      return step < 0
        ? { status: "CANCELLED", cancellationReason: order.cancellationReason, saga: at("done", 0) }
        : { ...keep, saga: at("compensating", step) };
    }
    case "capturing": {
      if (outcome.kind !== "ok") return { ...keep, saga: later() };
      const next = saga.step + 1;
      return { ...keep, saga: next < CAPTURE_STEPS.length ? at("capturing", next) : at("done", 0) };
    }
    case "refunding": {
      if (outcome.kind !== "ok") return { ...keep, saga: later() };
      const next = saga.step + 1;
      return next < REFUND_STEPS.length
        ? { ...keep, saga: at("refunding", next) }
        : { status: "REFUNDED", cancellationReason: order.cancellationReason, saga: at("done", 0) };
    }
    case "done":
      return { ...keep, saga };
  }
}
