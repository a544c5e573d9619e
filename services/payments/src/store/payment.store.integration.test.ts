import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { newId } from "@souk/platform";
import { openTestPgliteSchema, openTestServerDatabase, type TestSchemaDatabase } from "@souk/platform/testing";
import type { FraudDecision } from "../domain/fraud.ts";
import { paymentPosting } from "../domain/ledger.ts";
import type { AuthorizationOutcome, Payment, PaymentStore } from "../domain/payment.ts";
import { createLedgerStore } from "./ledger.store.ts";
import { paymentsMigrations } from "./migrations.ts";
import { createPaymentStore } from "./payment.store.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

const decidedAt = new Date("2026-01-01T10:00:00Z");

const PASSED: readonly FraudDecision[] = [
  { rule: "amount_threshold", outcome: "pass", details: { amountMinor: 2999, maxAmountMinor: 500_000 } },
  { rule: "velocity", outcome: "pass", details: { attemptsInWindow: 1 } },
  { rule: "blocked_card", outcome: "pass", details: { cardBlocked: false } },
  { rule: "provider_risk", outcome: "pass", details: { riskLevel: "normal", declineCode: null } },
];
const APPROVED: AuthorizationOutcome = { status: "AUTHORIZED", authorizationId: "auth_sim_1", riskLevel: "normal" };

function storeSuite(name: string, open: () => Promise<TestSchemaDatabase>, server: boolean) {
  describe(`payment store state changes on ${name}`, () => {
    let opened: TestSchemaDatabase;
    let db: Kysely<PaymentsDatabase>;
    let store: PaymentStore;
    let nudges = 0;

    /** A PENDING payment of `amountMinor` USD on a new card, as `claim` wrote it. */
    const pending = async (amountMinor = 2999): Promise<Payment> => {
      const methodId = newId();
      await db
        .insertInto("payment_methods")
        .values({
          id: methodId,
          user_id: "user-1",
          brand: "visa",
          last4: "4242",
          exp_month: 12,
          exp_year: 2099,
          fingerprint: "ab".repeat(32),
          provider_token: `tok_${methodId}`,
        })
        .execute();
      const claimed = await store.claim({
        id: newId(),
        orderId: newId(),
        userId: "user-1",
        paymentMethodId: methodId,
        amount: { amountMinor, currency: "USD" },
        leaseUntil: new Date(Date.now() + 30_000),
      });
      return claimed.payment;
    };
    const authorize = (payment: Payment, outcome: AuthorizationOutcome = APPROVED) =>
      store.completeAuthorization({
        paymentId: payment.id,
        outcome,
        decisions: PASSED,
        posting:
          outcome.status === "AUTHORIZED"
            ? paymentPosting("authorize", payment.id, payment.amount, newId(), decidedAt)
            : undefined,
        decidedAt,
      });
    const capture = (payment: Payment) =>
      store.transition(
        payment.id,
        { from: "AUTHORIZED", to: "CAPTURED" },
        paymentPosting("capture", payment.id, payment.amount, newId(), decidedAt),
      );
    /** What the state change wrote beside the payment row. */
    const written = async (paymentId: string, orderId: string) => ({
      decisions: (
        await db
          .selectFrom("fraud_decisions")
          .select(["rule", "outcome", "details"])
          .where("payment_id", "=", paymentId)
          .orderBy("id")
          .execute()
      ).map((d) => `${d.rule}:${d.outcome}`),
      ledger: (
        await db
          .selectFrom("ledger_transactions as t")
          .innerJoin("ledger_entries as e", "e.transaction_id", "t.id")
          .select(["t.kind", "e.account", "e.direction", "e.amount_minor"])
          .where("t.payment_id", "=", paymentId)
          .orderBy("e.id")
          .execute()
      ).map((e) => `${e.kind} ${e.direction} ${e.account} ${e.amount_minor}`),
      events: (
        await db.selectFrom("outbox").select("type").where("subject", "=", orderId).orderBy("seq").execute()
      ).map((r) => r.type),
    });
    const balancesMatchEntries = async () => {
      const ledger = createLedgerStore(db);
      expect(await ledger.unbalancedTransactions()).toEqual([]);
      expect(await ledger.balances()).toEqual(await ledger.balancesFromEntries());
    };

    beforeAll(async () => {
      opened = await open();
      const { database, schema } = opened;
      await database.migrate(schema, paymentsMigrations(schema));
      db = database.forSchema<PaymentsDatabase>(schema);
      store = createPaymentStore(db, () => nudges++);
    });
    afterAll(() => opened.close());

    it("authorizes with the status, every fraud decision, the hold's posting and the event", async () => {
      const payment = await pending();
      const nudged = nudges;
      const authorized = await authorize(payment);
      expect(nudges - nudged).toBe(1);
      expect(authorized).toMatchObject({
        id: payment.id,
        status: "AUTHORIZED",
        authorizationId: "auth_sim_1",
        riskLevel: "normal",
        failureCode: undefined,
      });
      expect(await written(payment.id, payment.orderId)).toEqual({
        decisions: ["amount_threshold:pass", "velocity:pass", "blocked_card:pass", "provider_risk:pass"],
        ledger: ["authorize debit customer_authorizations 2999", "authorize credit authorizations_outstanding 2999"],
        events: ["souk.payment.authorized.v1"],
      });
      const first = await db
        .selectFrom("fraud_decisions")
        .select("details")
        .where("payment_id", "=", payment.id)
        .orderBy("id")
        .executeTakeFirstOrThrow();
      expect(first.details).toEqual(PASSED[0]?.details); // jsonb, read back as the object written
      await balancesMatchEntries();
    });

    it("records a failed authorization's decisions and event, and posts nothing", async () => {
      const payment = await pending();
      const failed = await authorize(payment, { status: "FAILED", failureCode: "card_declined", riskLevel: "normal" });
      expect(failed).toMatchObject({ status: "FAILED", failureCode: "card_declined", authorizationId: undefined });
      expect(await written(payment.id, payment.orderId)).toEqual({
        decisions: ["amount_threshold:pass", "velocity:pass", "blocked_card:pass", "provider_risk:pass"],
        ledger: [],
        events: ["souk.payment.failed.v1"],
      });
    });

    it("captures once; a lost compare-and-set writes nothing at all", async () => {
      const payment = await pending(1250);
      const authorized = await authorize(payment);
      if (authorized === undefined) return expect.unreachable("authorized");
      const nudged = nudges;
      expect(await capture(authorized)).toMatchObject({ status: "CAPTURED" });
      expect(nudges - nudged).toBe(1);
      // Both lose: the status is CAPTURED now, so neither the capture again nor an authorization matches.
      expect(await capture(authorized)).toBeUndefined();
      expect(await authorize(payment)).toBeUndefined();
      expect(nudges - nudged).toBe(1);
      expect(await written(payment.id, payment.orderId)).toEqual({
        decisions: ["amount_threshold:pass", "velocity:pass", "blocked_card:pass", "provider_risk:pass"],
        ledger: [
          "authorize debit customer_authorizations 1250",
          "authorize credit authorizations_outstanding 1250",
          "capture debit authorizations_outstanding 1250",
          "capture credit customer_authorizations 1250",
          "capture debit psp_receivable 1250",
          "capture credit sales_revenue 1250",
        ],
        events: ["souk.payment.authorized.v1", "souk.payment.captured.v1"],
      });
      await balancesMatchEntries();
    });

    it("rolls the whole change back when the ledger refuses the posting", async () => {
      const payment = await pending();
      const unbalanced = paymentPosting("authorize", payment.id, payment.amount, newId(), decidedAt);
      const posting = { ...unbalanced, entries: unbalanced.entries.slice(0, 1) };
      await expect(
        store.completeAuthorization({
          paymentId: payment.id,
          outcome: APPROVED,
          decisions: PASSED,
          posting,
          decidedAt,
        }),
      ).rejects.toThrow(/unbalanced/);
      expect(await store.findByOrder(payment.orderId)).toMatchObject({ status: "PENDING" });
      expect(await written(payment.id, payment.orderId)).toEqual({ decisions: [], ledger: [], events: [] });
      await balancesMatchEntries();
    });

    it.runIf(server)(
      "moves 40 payments at once over shared account rows without a deadlock, and the ledger balances",
      async () => {
        const payments = await Promise.all(Array.from({ length: 40 }, (_, i) => pending(100 + i)));
        const authorized = await Promise.all(payments.map((p) => authorize(p)));
        expect(authorized.map((p) => p?.status)).toEqual(payments.map(() => "AUTHORIZED"));
        // Captures and a second, losing authorization of each, all concurrent.
        const [captured, again] = await Promise.all([
          Promise.all(payments.map((p) => capture(p))),
          Promise.all(payments.map((p) => authorize(p))),
        ]);
        expect(captured.map((p) => p?.status)).toEqual(payments.map(() => "CAPTURED"));
        expect(again.every((p) => p === undefined)).toBe(true);
        await balancesMatchEntries();
      },
    );
  });
}

storeSuite("PGlite", () => openTestPgliteSchema("payments"), false);
storeSuite("a PostgreSQL server", () => openTestServerDatabase("payments", 8), true);
