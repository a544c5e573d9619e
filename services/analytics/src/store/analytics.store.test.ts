import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlDatabase } from "@souk/platform";
import { openTestDatabase } from "@souk/platform/testing";
import { contributionOf, ZERO_COUNTS } from "../domain/aggregates.ts";
import type { OrderFact } from "../domain/order-fact.ts";
import type { PaymentEvent } from "../domain/payment-fact.ts";
import type { AnalyticsStore } from "../domain/ports.ts";
import { createAnalyticsStore, type AnalyticsDatabase } from "./analytics.store.ts";
import { analyticsMigrations } from "./migrations.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);

function fact(orderId: string, overrides: Partial<OrderFact> = {}): OrderFact {
  return {
    orderId,
    userId: "u-1",
    currency: "EUR",
    totalMinor: 1_200,
    status: "confirmed",
    lines: [{ productId: "p-1", sku: "MUG", name: "Mug «bleu»", quantity: 3, lineTotalMinor: 1_200 }],
    cancellationReason: undefined,
    refundReason: undefined,
    placedAt: at("10:00:10"),
    confirmedAt: at("10:01:20"),
    cancelledAt: undefined,
    refundedAt: undefined,
    lastEventAt: at("10:01:20"),
    appliedAt: at("10:01:21"),
    confirmedAppliedAt: undefined,
    confirmedLagMs: undefined,
    ...overrides,
  };
}

describe("analytics store on PostgreSQL (PGlite)", () => {
  let database: SqlDatabase;
  let store: AnalyticsStore;

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.migrate("analytics", analyticsMigrations);
    store = createAnalyticsStore(database.forSchema<AnalyticsDatabase>("analytics"), "analytics");
  });
  afterAll(async () => {
    await database?.close();
  });

  it("creates the consumer generation once, and switches when the configured group changes", async () => {
    expect(await store.consumerState()).toBeUndefined();
    const first = await store.ensureConsumerState("analytics", at("09:00:00"));
    expect(first).toEqual({ baseGroup: "analytics", consumerGroup: "analytics", startedAt: at("09:00:00") });
    expect(await store.ensureConsumerState("analytics", at("09:30:00"))).toEqual(first);
    const switched = await store.ensureConsumerState("analytics-eu", at("09:45:00"));
    expect(switched).toEqual({ baseGroup: "analytics-eu", consumerGroup: "analytics-eu", startedAt: at("09:45:00") });
    expect(await store.ensureConsumerState("analytics", at("09:50:00"))).toEqual({
      baseGroup: "analytics",
      consumerGroup: "analytics",
      startedAt: at("09:50:00"),
    });
  });

  it("claims an event id once, and rolls the claim back with a failed transaction", async () => {
    const claim = (...ids: string[]) => store.transaction(async (uow) => [...(await uow.claimEvents(ids))].sort());
    expect(await claim("e-1")).toEqual(["e-1"]);
    expect(await claim("e-1")).toEqual([]);
    await expect(
      store.transaction(async (uow) => {
        await uow.claimEvents(["e-2"]);
        throw new Error("effect failed");
      }),
    ).rejects.toThrow("effect failed");
    // One statement for a batch: the new ids only, an id given twice once.
    expect(await claim("e-2", "e-1", "e-3", "e-2")).toEqual(["e-2", "e-3"]);
    expect(await claim()).toEqual([]);
    expect(await store.eventsProcessed()).toBe(3);
  });

  it("stores an order fact and reads it back exactly (lines as jsonb, absent times as undefined)", async () => {
    const saved = fact("o-roundtrip", { confirmedAppliedAt: at("10:01:21"), confirmedLagMs: 1_000 });
    await store.transaction((uow) => uow.saveOrderFact(saved, true));
    const lock = (...ids: string[]) => store.transaction((uow) => uow.lockOrderFacts(ids));
    expect(await lock("o-roundtrip")).toEqual(new Map([["o-roundtrip", saved]]));
    const refunded = { ...saved, status: "refunded" as const, refundedAt: at("11:00:00"), refundReason: "late" };
    await store.transaction((uow) => uow.saveOrderFact(refunded, false));
    const other = fact("o-other");
    await store.transaction((uow) => uow.saveOrderFact(other, true));
    // One read for a batch: known orders only, an order asked twice once.
    expect(await lock("o-unknown", "o-roundtrip", "o-other", "o-roundtrip")).toEqual(
      new Map([
        ["o-other", other],
        ["o-roundtrip", refunded],
      ]),
    );
    expect(await lock("o-unknown")).toEqual(new Map());
    expect(await lock()).toEqual(new Map());
    await expect(store.transaction((uow) => uow.saveOrderFact(saved, true))).rejects.toThrow(/inserted concurrently/);
  });

  it("adds deltas up into minute buckets, product sales and reasons; totals honour the window", async () => {
    const confirmedEur = contributionOf(fact("o-a"));
    const cancelledUsd = contributionOf(
      fact("o-b", {
        currency: "USD",
        status: "cancelled",
        confirmedAt: undefined,
        cancelledAt: at("10:02:00"),
        cancellationReason: "card_declined",
      }),
    );
    await store.transaction(async (uow) => {
      await uow.applyDelta(confirmedEur);
      await uow.applyDelta(confirmedEur);
      await uow.applyDelta(cancelledUsd);
    });
    expect(await store.buckets({ from: at("10:00:00"), to: at("10:03:00") }, undefined)).toEqual([
      { minute: at("10:00:00"), currency: "EUR", ...ZERO_COUNTS, ordersPlaced: 2 },
      { minute: at("10:00:00"), currency: "USD", ...ZERO_COUNTS, ordersPlaced: 1 },
      { minute: at("10:01:00"), currency: "EUR", ...ZERO_COUNTS, ordersConfirmed: 2, revenueMinor: 2_400 },
      { minute: at("10:02:00"), currency: "USD", ...ZERO_COUNTS, ordersCancelled: 1 },
    ]);
    expect(await store.buckets({ from: at("10:01:00"), to: at("10:02:00") }, "USD")).toEqual([]);
    const all = await store.totals({ from: undefined, to: at("23:00:00") });
    expect(all).toEqual([
      {
        currency: "EUR",
        ordersPlaced: 2,
        ordersConfirmed: 2,
        ordersCancelled: 0,
        ordersRefunded: 0,
        revenueMinor: 2_400,
        refundsMinor: 0,
        payments: [],
      },
      { currency: "USD", ...ZERO_COUNTS, ordersPlaced: 1, ordersCancelled: 1, payments: [] },
    ]);
    // [10:01, 10:02): only the EUR confirmations.
    expect(await store.totals({ from: at("10:01:00"), to: at("10:02:00") })).toEqual([
      { currency: "EUR", ...ZERO_COUNTS, ordersConfirmed: 2, revenueMinor: 2_400, payments: [] },
    ]);
    expect(await store.topProducts({ limit: 10, currency: undefined, rankBy: "units" })).toEqual([
      { productId: "p-1", sku: "MUG", name: "Mug «bleu»", currency: "EUR", units: 6, revenueMinor: 2_400 },
    ]);
    expect(await store.cancellationReasons()).toEqual([{ reason: "card_declined", count: 1 }]);
  });

  it("counts a payment state once per payment and kind", async () => {
    const payment = {
      paymentId: "pay-1",
      orderId: "o-a",
      kind: "captured" as const,
      amount: { amountMinor: 1_200, currency: "EUR" },
      failureCode: "",
      at: at("10:01:20"),
    };
    const record = (...payments: PaymentEvent[]) => store.transaction((uow) => uow.recordPayments(payments));
    expect(await record(payment)).toEqual([true]);
    expect(await record(payment)).toEqual([false]);
    expect(await record({ ...payment, kind: "authorized", at: at("10:01:00") })).toEqual([true]);
    const [eur] = await store.totals({ from: undefined, to: at("23:00:00") });
    expect(eur?.payments).toEqual([
      { kind: "authorized", count: 1, amountMinor: 1_200 },
      { kind: "captured", count: 1, amountMinor: 1_200 },
    ]);
    // A batch: two payments into one minute's bucket, one already counted, one twice in the batch.
    const second = { ...payment, paymentId: "pay-2", amount: { amountMinor: 300, currency: "EUR" } };
    const third = { ...payment, paymentId: "pay-3", amount: { amountMinor: 500, currency: "EUR" } };
    expect(await record(second, payment, third, second)).toEqual([true, false, true, false]);
    const [after] = await store.totals({ from: undefined, to: at("23:00:00") });
    expect(after?.payments).toEqual([
      { kind: "authorized", count: 1, amountMinor: 1_200 },
      { kind: "captured", count: 3, amountMinor: 2_000 },
    ]);
    expect(await record()).toEqual([]);
  });

  it("ranks products by units or revenue, ties by product id", async () => {
    await store.transaction((uow) =>
      uow.applyDelta({
        buckets: [],
        products: [
          { productId: "p-2", sku: "TEA", name: "Tea", currency: "EUR", units: 6, revenueMinor: 9_000 },
          { productId: "p-3", sku: "PEN", name: "Pen", currency: "EUR", units: 1, revenueMinor: 100 },
        ],
        reasons: [],
      }),
    );
    const byUnits = await store.topProducts({ limit: 2, currency: "EUR", rankBy: "units" });
    expect(byUnits.map((p) => p.productId)).toEqual(["p-2", "p-1"]);
    const byRevenue = await store.topProducts({ limit: 3, currency: "EUR", rankBy: "revenue" });
    expect(byRevenue.map((p) => [p.productId, p.revenueMinor])).toEqual([
      ["p-2", 9_000],
      ["p-1", 2_400],
      ["p-3", 100],
    ]);
  });

  it("computes p50/p99/max of the most recent live confirmations with percentile_cont", async () => {
    expect(await store.eventLag(1_000)).toEqual({ count: 1, p50Ms: 1_000, p99Ms: 1_000, maxMs: 1_000 });
    await store.transaction(async (uow) => {
      for (let i = 1; i <= 100; i++) {
        await uow.saveOrderFact(
          fact(`o-lag-${i}`, {
            confirmedAppliedAt: new Date(at("11:00:00").getTime() + i * 1_000),
            confirmedLagMs: i,
          }),
          true,
        );
      }
      // A replayed confirmation has no lag and is not a sample.
      await uow.saveOrderFact(fact("o-replayed"), true);
    });
    // The 100 newest: lags 1..100 → p50 50.5, p99 99.01 (linear interpolation), max 100.
    const lag = await store.eventLag(100);
    expect(lag.count).toBe(100);
    expect(lag.p50Ms).toBeCloseTo(50.5, 9);
    expect(lag.p99Ms).toBeCloseTo(99.01, 9);
    expect(lag.maxMs).toBe(100);
    // The 10 newest are lags 91..100.
    expect(await store.eventLag(10)).toMatchObject({ count: 10, p50Ms: 95.5, maxMs: 100 });
  });

  it("a rebuild reset empties facts, aggregates and the inbox and moves to the new generation", async () => {
    const next = { baseGroup: "analytics", consumerGroup: "analytics-rebuild-1", startedAt: at("13:00:00") };
    await store.resetForRebuild(next);
    expect(await store.consumerState()).toEqual(next);
    expect(await store.transaction((uow) => uow.consumerState())).toEqual(next);
    expect(await store.eventsProcessed()).toBe(0);
    expect(await store.totals({ from: undefined, to: at("23:00:00") })).toEqual([]);
    expect(await store.topProducts({ limit: 10, currency: undefined, rankBy: "units" })).toEqual([]);
    expect(await store.cancellationReasons()).toEqual([]);
    expect(await store.eventLag(0 + 1_000)).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    expect(await store.transaction((uow) => uow.lockOrderFacts(["o-roundtrip"]))).toEqual(new Map());
    expect([...(await store.transaction((uow) => uow.claimEvents(["e-1"])))]).toEqual(["e-1"]);
  });
});
