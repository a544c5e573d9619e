import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Kysely, KyselyPlugin } from "kysely";
import { EVENTS } from "@souk/messaging";
import { newId } from "@souk/platform";
import { openTestPgliteSchema, openTestServerDatabase, type TestSchemaDatabase } from "@souk/platform/testing";
import type { Order } from "../domain/order.ts";
import type { OrderStore } from "../domain/ports.ts";
import type { SagaAction, StepOutcome, Transition } from "../domain/saga.ts";
import { ordersMigrations } from "./migrations.ts";
import { createOrderStore, type OrdersDatabase } from "./order.store.ts";

const t0 = new Date("2026-01-01T10:00:00Z");
const later = (ms: number) => new Date(t0.getTime() + ms);
const LEASE_MS = 30_000;

function pendingOrder(): Order {
  const usd = (amountMinor: number) => ({ amountMinor, currency: "USD" });
  return {
    id: newId(),
    userId: "user-1",
    status: "PENDING",
    total: usd(2 * 1250 + 999),
    lines: [
      { productId: "p-1", sku: "SKU-1", name: "Mint tea", quantity: 2, unitPrice: usd(1250), lineTotal: usd(2500) },
      { productId: "p-2", sku: "SKU-2", name: "Tagine", quantity: 1, unitPrice: usd(999), lineTotal: usd(999) },
    ],
    shippingAddress: {
      name: "Test Customer",
      line1: "1 Derb Dabachi",
      city: "Marrakesh",
      postalCode: "40000",
      country: "MA",
    },
    paymentMethodId: "pm_1",
    idempotencyKey: newId(),
    requestFingerprint: "fp",
    cancellationReason: undefined,
    saga: { phase: "forward", step: 0, attempts: 0, nextAttemptAt: t0 },
    createdAt: t0,
    updatedAt: t0,
  };
}

const stepDone = (step: number): Transition => ({
  status: "PENDING",
  cancellationReason: undefined,
  saga: { phase: "forward", step, attempts: 0, nextAttemptAt: t0 },
});
const confirmed: Transition = {
  status: "CONFIRMED",
  cancellationReason: undefined,
  saga: { phase: "capturing", step: 0, attempts: 0, nextAttemptAt: t0 },
};

/** Counts the statements Kysely sends (BEGIN/COMMIT excluded: they are not queries). */
function statementCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery: (args) => args.node,
    // Once per statement run: a prepared query is transformed only when it is first built.
    transformResult(args) {
      this.count++;
      return Promise.resolve(args.result);
    },
  };
}

function storeSuite(name: string, open: () => Promise<TestSchemaDatabase>, concurrent: boolean) {
  describe(`order store saga persistence on ${name}`, () => {
    let opened: TestSchemaDatabase;
    let db: Kysely<OrdersDatabase>;
    let store: OrderStore;
    let counter: ReturnType<typeof statementCounter>;
    let nudges = 0;

    const sagaLog = (orderId: string) =>
      db
        .selectFrom("saga_log")
        .select(["action", "outcome", "detail", "phase_after", "status_after"])
        .where("order_id", "=", orderId)
        .orderBy("id")
        .execute();
    const outboxTypes = async (orderId: string) =>
      (await db.selectFrom("outbox").select("type").where("subject", "=", orderId).orderBy("seq").execute()).map(
        (r) => r.type,
      );
    /** `runner-a` saves one step of `order`, at `now` (default t0 + 5 ms), renewing its lease. */
    const save = (order: Order, action: SagaAction, outcome: StepOutcome, next: Transition, now = later(5)) =>
      store.saveTransition(order, "runner-a", action, outcome, next, now, later(LEASE_MS));
    const placed = async (owner = "runner-a"): Promise<Order> => {
      const order = pendingOrder();
      expect(await store.insert(order, owner, later(LEASE_MS))).toEqual({ inserted: true });
      nudges = 0; // the insert's OrderPlaced
      return order;
    };

    beforeAll(async () => {
      opened = await open();
      const { database, schema } = opened;
      await database.migrate(schema, ordersMigrations);
      counter = statementCounter();
      db = database.forSchema<OrdersDatabase>(schema).withPlugin(counter);
      store = createOrderStore(db, () => nudges++);
    });
    afterAll(() => opened.close());
    beforeEach(() => {
      vi.restoreAllMocks();
      nudges = 0;
    });

    it("reuses the caller's lines when leasing a held order, and reads them for a bare id", async () => {
      const order = await placed();
      counter.count = 0;
      const leased = await store.acquireLease(order, "runner-a", t0, later(LEASE_MS));
      expect(counter.count).toBe(1);
      expect(leased?.lines).toBe(order.lines);
      const byId = await store.acquireLease(order.id, "runner-a", t0, later(LEASE_MS));
      expect(byId?.lines).toEqual(order.lines);
      expect(await store.acquireLease(order.id, "runner-b", t0, later(LEASE_MS))).toBeUndefined();
    });

    it("saves a step that keeps the status in one statement, without a transaction or an event", async () => {
      const order = await placed();
      const transaction = vi.spyOn(db, "transaction");
      counter.count = 0;
      const saved = await save(order, "reserve_stock", { kind: "ok" }, stepDone(1));
      expect(counter.count).toBe(1);
      expect(transaction).not.toHaveBeenCalled();
      expect(saved).toMatchObject({
        id: order.id,
        status: "PENDING",
        saga: { phase: "forward", step: 1 },
        updatedAt: later(5),
      });
      expect(saved?.lines).toBe(order.lines);
      expect(await store.get(order.id)).toEqual(saved);
      expect(await sagaLog(order.id)).toEqual([
        { action: "reserve_stock", outcome: "ok", detail: null, phase_after: "forward", status_after: "PENDING" },
      ]);
      expect(await outboxTypes(order.id)).toEqual([EVENTS.orderPlaced.type]);
      expect(nudges).toBe(0);
    });

    it("logs a retry's error (cut to 500 characters) and keeps the lease-guarded row otherwise as given", async () => {
      const order = await placed();
      const next: Transition = {
        ...stepDone(0),
        saga: { phase: "forward", step: 0, attempts: 1, nextAttemptAt: later(900) },
      };
      const saved = await save(order, "reserve_stock", { kind: "retry", error: "x".repeat(600) }, next);
      expect(saved?.saga).toEqual(next.saga);
      expect((await sagaLog(order.id)).map((r) => [r.outcome, r.detail?.length])).toEqual([["retry", 500]]);
    });

    it("saves a status change and its event in one transaction of two statements, then nudges the relay", async () => {
      const order = await placed();
      const transaction = vi.spyOn(db, "transaction");
      counter.count = 0;
      const saved = await save(order, "commit_stock", { kind: "ok" }, confirmed);
      expect(counter.count).toBe(2);
      expect(transaction).toHaveBeenCalledTimes(1);
      expect(saved).toMatchObject({ status: "CONFIRMED", saga: { phase: "capturing", step: 0 } });
      expect(await outboxTypes(order.id)).toEqual([EVENTS.orderPlaced.type, EVENTS.orderConfirmed.type]);
      expect((await sagaLog(order.id)).map((r) => r.status_after)).toEqual(["CONFIRMED"]);
      expect(nudges).toBe(1);
    });

    it("chooses the event by the stored status, not by the caller's copy", async () => {
      const order = await placed();
      // The caller believes the order CONFIRMED already: no event would be due by its copy.
      const stale: Order = { ...order, status: "CONFIRMED" };
      const saved = await save(stale, "commit_stock", { kind: "ok" }, confirmed);
      expect(saved?.status).toBe("CONFIRMED");
      expect(await outboxTypes(order.id)).toEqual([EVENTS.orderPlaced.type, EVENTS.orderConfirmed.type]);
      expect(nudges).toBe(1);
    });

    it.each([
      ["keeps the status", stepDone(1)],
      ["changes the status", confirmed],
    ])(
      "persists nothing — no saga_log row, no event — for a step that %s saved by a runner that lost its lease",
      async (_, next) => {
        const order = await placed();
        const taken = await store.acquireLease(order.id, "runner-b", later(LEASE_MS + 1), later(2 * LEASE_MS));
        expect(taken?.id).toBe(order.id);
        const before = await store.get(order.id);
        const saved = await save(order, "commit_stock", { kind: "ok" }, next);
        expect(saved).toBeUndefined();
        expect(await store.get(order.id)).toEqual(before);
        expect(
          await db.selectFrom("orders").select("lease_owner").where("id", "=", order.id).executeTakeFirst(),
        ).toEqual({
          lease_owner: "runner-b",
        });
        expect(await sagaLog(order.id)).toEqual([]);
        expect(await outboxTypes(order.id)).toEqual([EVENTS.orderPlaced.type]);
        expect(nudges).toBe(0);
      },
    );

    it("starts a refund leased to its canceller: another runner's recovery pass leaves it alone until the lease expires", async () => {
      const order = await placed();
      // A captured order whose checkout runner has not released its lease yet (saga done).
      await db
        .updateTable("orders")
        .set({
          status: "CONFIRMED",
          saga_phase: "done",
          saga_step: 0,
          lease_owner: "runner-a",
          lease_until: later(LEASE_MS),
        })
        .where("id", "=", order.id)
        .execute();
      const started = await store.startRefund(order.id, order.userId, later(10), "runner-b", later(10 + LEASE_MS));
      expect(started).toMatchObject({ id: order.id, status: "CONFIRMED", saga: { phase: "refunding", step: 0 } });
      expect(await store.findRunnable(later(20), 1_000)).not.toContain(order.id);
      expect(await store.acquireLease(order.id, "runner-a", later(20), later(20 + LEASE_MS))).toBeUndefined();
      expect(await store.acquireLease(order.id, "runner-b", later(20), later(20 + LEASE_MS))).toMatchObject({
        id: order.id,
        saga: { phase: "refunding" },
      });
      // The canceller crashed: once its lease runs out, recovery finds the refund.
      expect(await store.findRunnable(later(21 + LEASE_MS), 1_000)).toContain(order.id);
      // A refund starts once.
      expect(
        await store.startRefund(order.id, order.userId, later(30), "runner-c", later(30 + LEASE_MS)),
      ).toBeUndefined();
    });

    it("returns undefined for an unknown order", async () => {
      const missing = pendingOrder();
      expect(await save(missing, "reserve_stock", { kind: "ok" }, stepDone(1), t0)).toBeUndefined();
      expect(await sagaLog(missing.id)).toEqual([]);
    });

    it.runIf(concurrent)(
      "reads the status a concurrent writer committed while the step waited for the row",
      async () => {
        const order = await placed();
        let saving: Promise<Order | undefined> | undefined;
        await db.transaction().execute(async (trx) => {
          await trx.updateTable("orders").set({ status: "CONFIRMED" }).where("id", "=", order.id).execute();
          saving = save(order, "commit_stock", { kind: "ok" }, confirmed);
          await new Promise((resolve) => setTimeout(resolve, 200));
        });
        expect((await saving)?.status).toBe("CONFIRMED");
        // The status was CONFIRMED when this step's update applied: no second confirmation.
        expect(await outboxTypes(order.id)).toEqual([EVENTS.orderPlaced.type]);
        expect((await sagaLog(order.id)).map((r) => r.action)).toEqual(["commit_stock"]);
      },
    );
  });
}

storeSuite("PGlite", () => openTestPgliteSchema("orders"), false);
storeSuite("a PostgreSQL server", () => openTestServerDatabase("orders", 4), true);
