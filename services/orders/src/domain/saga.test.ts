import { describe, expect, it } from "vitest";
import type { Order } from "./order.ts";
import { backoffMs, nextAction, transition, type SagaPolicy, type StepOutcome } from "./saga.ts";

const policy: SagaPolicy = { baseDelayMs: 100, maxDelayMs: 10_000, forwardTimeoutMs: 60_000 };
const t0 = new Date("2026-01-01T00:00:00Z");
const order = (over: Partial<Order> = {}): Order => ({
  id: "o",
  userId: "u",
  status: "PENDING",
  total: { amountMinor: 1000, currency: "USD" },
  lines: [],
  shippingAddress: { name: "A", line1: "B", city: "C", postalCode: "D", country: "US" },
  paymentMethodId: "pm",
  idempotencyKey: "k",
  requestFingerprint: "f",
  cancellationReason: undefined,
  saga: { phase: "forward", step: 0, attempts: 0, nextAttemptAt: t0 },
  createdAt: t0,
  updatedAt: t0,
  ...over,
});

/** Drives the state machine through a scripted list of outcomes, recording each action taken. */
function run(start: Order, outcomes: StepOutcome[], now = t0): { order: Order; actions: string[] } {
  let current = start;
  const actions: string[] = [];
  for (const outcome of outcomes) {
    const action = nextAction(current.saga);
    if (action === undefined) throw new Error(`saga ended before outcome ${JSON.stringify(outcome)}`);
    actions.push(action);
    current = { ...current, ...transition(current, outcome, now, policy, 0.5) };
  }
  return { order: current, actions };
}

const ok: StepOutcome = { kind: "ok" };

describe("checkout saga", () => {
  it("happy path: reserve → authorize → commit, CONFIRMED, then capture and clear the cart", () => {
    const { order: done, actions } = run(order(), [ok, ok, ok, ok, ok]);
    expect(actions).toEqual(["reserve_stock", "authorize_payment", "commit_stock", "capture_payment", "clear_cart"]);
    expect(done.status).toBe("CONFIRMED");
    expect(done.saga.phase).toBe("done");
    expect(nextAction(done.saga)).toBeUndefined();
  });

  it("is CONFIRMED as soon as stock is committed, before capture", () => {
    const { order: confirmed } = run(order(), [ok, ok, ok]);
    expect(confirmed.status).toBe("CONFIRMED");
    expect(confirmed.saga.phase).toBe("capturing");
  });

  it("a declined card voids and releases, in reverse, and cancels with the decline code", () => {
    const { order: done, actions } = run(order(), [ok, { kind: "failed", reason: "card_declined" }, ok, ok]);
    expect(actions).toEqual(["reserve_stock", "authorize_payment", "void_payment", "release_stock"]);
    expect(done.status).toBe("CANCELLED");
    expect(done.cancellationReason).toBe("card_declined");
    expect(done.saga.phase).toBe("done");
  });

  it("out of stock cancels after releasing (a no-op) and never touches payments", () => {
    const { order: done, actions } = run(order(), [{ kind: "failed", reason: "insufficient_stock" }, ok]);
    expect(actions).toEqual(["reserve_stock", "release_stock"]);
    expect(done).toMatchObject({ status: "CANCELLED", cancellationReason: "insufficient_stock" });
  });

  it("an expired reservation at commit voids the authorization and releases", () => {
    const { order: done, actions } = run(order(), [ok, ok, { kind: "failed", reason: "reservation_expired" }, ok, ok]);
    expect(actions).toEqual(["reserve_stock", "authorize_payment", "commit_stock", "void_payment", "release_stock"]);
    expect(done).toMatchObject({ status: "CANCELLED", cancellationReason: "reservation_expired" });
  });

  it("retries a transient failure later with backoff, keeping its place", () => {
    const next = transition(order(), { kind: "retry", error: "unavailable" }, t0, policy, 0.5);
    expect(next.status).toBe("PENDING");
    expect(next.saga).toMatchObject({ phase: "forward", step: 0, attempts: 1 });
    expect(next.saga.nextAttemptAt.getTime()).toBe(t0.getTime() + 50);
  });

  it("gives up on a checkout failing transiently past its timeout, compensating the failed step too", () => {
    const late = new Date(t0.getTime() + policy.forwardTimeoutMs);
    const atAuthorize = order({ saga: { phase: "forward", step: 1, attempts: 7, nextAttemptAt: t0 } });
    const next = transition(atAuthorize, { kind: "retry", error: "unavailable" }, late, policy, 0.5);
    expect(next).toMatchObject({ status: "PENDING", cancellationReason: "saga_timeout" });
    expect(next.saga).toMatchObject({ phase: "compensating", step: 1 });
    expect(nextAction(next.saga)).toBe("void_payment");
  });

  it("never gives up a compensation: failures are retried", () => {
    const compensating = order({
      cancellationReason: "card_declined",
      saga: { phase: "compensating", step: 0, attempts: 3, nextAttemptAt: t0 },
    });
    const next = transition(compensating, { kind: "failed", reason: "x" }, t0, policy, 0.5);
    expect(next.saga).toMatchObject({ phase: "compensating", step: 0, attempts: 4 });
    expect(next.status).toBe("PENDING");
  });

  it("refunds a confirmed order: refund → restock → REFUNDED", () => {
    const confirmed = order({
      status: "CONFIRMED",
      saga: { phase: "refunding", step: 0, attempts: 0, nextAttemptAt: t0 },
    });
    const { order: done, actions } = run(confirmed, [ok, ok]);
    expect(actions).toEqual(["refund_payment", "restock"]);
    expect(done.status).toBe("REFUNDED");
  });

  it("backoff is full-jitter exponential and capped", () => {
    expect(backoffMs(0, policy, 0.999)).toBe(99);
    expect(backoffMs(3, policy, 0.5)).toBe(400);
    expect(backoffMs(40, policy, 0.999)).toBe(9990);
    expect(backoffMs(5, policy, 0)).toBe(0);
  });
});
