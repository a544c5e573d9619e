import { createInProcessEventLog } from "@souk/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { pino } from "pino";
import type { Client } from "@connectrpc/connect";
import { PaymentsService, PaymentStatus } from "@souk/contracts/payments";
import { fromConnectError, inProcessClient, newId, type SoukError, type SqlDatabase } from "@souk/platform";
import { openTestDatabase } from "@souk/platform/testing";
import { createPaymentsService, PAYMENTS_SCHEMA } from "./index.ts";
import type { PaymentProvider } from "./domain/payment-provider.ts";
import { createCardSimulator } from "./provider/card-simulator.provider.ts";
import { createBlockedCardStore, createPostgresVelocityCounter } from "./store/fraud.store.ts";
import { createPaymentMethodStore } from "./store/payment-method.store.ts";
import { createPaymentStore } from "./store/payment.store.ts";
import type { PaymentsDatabase } from "./store/payments.tables.ts";
import { createSimulatorVault } from "./store/simulator-vault.store.ts";
import { authorizePayment } from "./usecases/authorize-payment.usecase.ts";
import { runAuthorization } from "./usecases/run-authorization.usecase.ts";
import { settlePayment } from "./usecases/settle-payment.usecase.ts";

type Service = Awaited<ReturnType<typeof createPaymentsService>>;

/** The error a call failed with, as the SoukError a caller in another service would see. */
async function rejection(call: Promise<unknown>): Promise<SoukError> {
  try {
    await call;
  } catch (error) {
    return fromConnectError(error);
  }
  return expect.unreachable("the call succeeded");
}

const config = {
  PAYMENTS_FINGERPRINT_KEY: "integration-test-fingerprint-key",
  PAYMENTS_FRAUD_MAX_AMOUNT_MINOR: 500_000,
  PAYMENTS_FRAUD_VELOCITY_MAX: 3,
  PAYMENTS_FRAUD_VELOCITY_WINDOW_MS: 60_000,
  PAYMENTS_SIMULATOR_LATENCY_MS: 0,
};

describe("payments on PostgreSQL (PGlite)", () => {
  let database: SqlDatabase;
  let db: Kysely<PaymentsDatabase>;
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = () => now;
  const logLines: string[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) });
  let payments: Service;
  /** A second process on the same database whose simulated PSP answers after 50 ms. */
  let slowPayments: Service;
  let client: Client<typeof PaymentsService>;
  /** Every card number this file sends, to prove none of them is stored or logged. */
  const numbersUsed = new Set<string>();

  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${(seq += 1)}`;

  const addCard = async (service: Service, userId: string, number = "4242424242424242") => {
    numbersUsed.add(number.replace(/[\s-]/g, ""));
    return service.useCases.createPaymentMethod(userId, { number, expMonth: 12, expYear: 2030, cvc: "123" });
  };
  const authorize = (
    service: Service,
    userId: string,
    paymentMethodId: string,
    orderId = unique("order"),
    amountMinor = 1_999,
  ) =>
    service.useCases.authorizePayment({ orderId, userId, paymentMethodId, amount: { amountMinor, currency: "USD" } });

  const postings = (paymentId: string) =>
    db
      .selectFrom("ledger_transactions as t")
      .innerJoin("ledger_entries as e", "e.transaction_id", "t.id")
      .select(["t.kind", "e.account", "e.direction", "e.amount_minor"])
      .where("t.payment_id", "=", paymentId)
      .orderBy("e.id")
      .execute();
  const decisions = (paymentId: string) =>
    db
      .selectFrom("fraud_decisions")
      .select(["rule", "outcome", "details"])
      .where("payment_id", "=", paymentId)
      .orderBy("id")
      .execute();

  beforeAll(async () => {
    database = await openTestDatabase();
    payments = await createPaymentsService({ database, config, logger, clock, eventLog: createInProcessEventLog() });
    slowPayments = await createPaymentsService({
      database,
      config: { ...config, PAYMENTS_SIMULATOR_LATENCY_MS: 50 },
      logger,
      clock,
      eventLog: createInProcessEventLog(),
    });
    db = database.forSchema<PaymentsDatabase>(PAYMENTS_SCHEMA);
    client = inProcessClient(PaymentsService, payments.handlers);
  });
  afterAll(async () => {
    await database.close();
  });

  it("gives each of Stripe's test cards its outcome, through gRPC", async () => {
    const cases = [
      ["4242 4242 4242 4242", PaymentStatus.AUTHORIZED, ""],
      ["4000-0000-0000-0002", PaymentStatus.FAILED, "card_declined"],
      ["4000000000009995", PaymentStatus.FAILED, "insufficient_funds"],
      ["4100000000000019", PaymentStatus.FAILED, "fraudulent"],
      ["4000000000000119", PaymentStatus.FAILED, "processing_error"],
      ["5555555555554444", PaymentStatus.AUTHORIZED, ""],
    ] as const;
    for (const [number, status, failureCode] of cases) {
      numbersUsed.add(number.replace(/[\s-]/g, ""));
      const userId = unique("card-user");
      const { paymentMethod } = await client.createPaymentMethod({
        userId,
        card: { number, expMonth: 4, expYear: 2031, cvc: "321" },
      });
      expect(paymentMethod?.last4).toBe(number.slice(-4));
      expect(paymentMethod?.brand).toBe(number.startsWith("5") ? "mastercard" : "visa");
      const { payment } = await client.authorizePayment({
        orderId: unique("order"),
        userId,
        paymentMethodId: paymentMethod?.id ?? "",
        amount: { amountMinor: 2_500n, currency: "USD" },
      });
      expect(payment, number).toMatchObject({ status, failureCode, amount: { amountMinor: 2_500n, currency: "USD" } });
      const posted = await postings(payment?.id ?? "");
      expect(posted.map((p) => p.kind)).toEqual(status === PaymentStatus.AUTHORIZED ? ["authorize", "authorize"] : []);
      const provider = (await decisions(payment?.id ?? "")).find((d) => d.rule === "provider_risk");
      expect(provider?.outcome, number).toBe(failureCode === "fraudulent" ? "block" : "pass");
    }
  });

  it("refuses a bad card naming every field, and an expired one by the injected clock", async () => {
    numbersUsed.add("4242424242424241");
    const error = await rejection(
      client.createPaymentMethod({
        userId: "u",
        card: { number: "4242424242424241", expMonth: 13, expYear: 2025, cvc: "1" },
      }),
    );
    expect(error).toMatchObject({ kind: "invalid_argument", code: "PAYMENTS_INVALID_CARD" });
    expect(error.fields.map((f) => f.field)).toEqual(["card.number", "card.exp_month", "card.exp_year", "card.cvc"]);

    const noCard = await rejection(client.createPaymentMethod({ userId: "u" }));
    expect(noCard.code).toBe("PAYMENTS_INVALID_CARD");

    const saved = now;
    now = new Date("2030-12-31T23:59:59Z");
    await expect(addCard(payments, unique("u"))).resolves.toMatchObject({ expMonth: 12, expYear: 2030 });
    now = new Date("2031-01-01T00:00:00Z");
    await expect(addCard(payments, unique("u"))).rejects.toMatchObject({
      code: "PAYMENTS_INVALID_CARD",
      fields: [{ field: "card.exp_year", message: "the card has expired" }],
    });
    now = saved;
  });

  it("authorizes only with the user's own payment method, and a positive amount", async () => {
    const owner = unique("owner");
    const method = await addCard(payments, owner);
    await expect(authorize(payments, unique("thief"), method.id)).rejects.toMatchObject({
      kind: "not_found",
      code: "PAYMENTS_METHOD_NOT_FOUND",
    });
    await expect(authorize(payments, owner, "not-a-uuid")).rejects.toMatchObject({ code: "PAYMENTS_METHOD_NOT_FOUND" });
    await expect(authorize(payments, owner, newId())).rejects.toMatchObject({ code: "PAYMENTS_METHOD_NOT_FOUND" });
    await expect(authorize(payments, owner, method.id, unique("order"), 0)).rejects.toMatchObject({
      kind: "invalid_argument",
      code: "PAYMENTS_INVALID_REQUEST",
      fields: [{ field: "amount.amount_minor", message: "must be a positive integer of minor units" }],
    });
    const missing = await rejection(
      client.authorizePayment({ orderId: "o", userId: owner, paymentMethodId: method.id }),
    );
    expect(missing).toMatchObject({ code: "PAYMENTS_INVALID_REQUEST", fields: [{ field: "amount" }] });
  });

  it("authorizes once under 10 concurrent calls from two processes: one payment, one posting", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const orderId = unique("order");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        authorize(i % 2 === 0 ? slowPayments : payments, userId, method.id, orderId),
      ),
    );
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    expect(results.every((p) => p.status === "AUTHORIZED")).toBe(true);
    const id = results[0]?.id ?? "";
    expect(await db.selectFrom("payments").select("id").where("order_id", "=", orderId).execute()).toHaveLength(1);
    expect(await db.selectFrom("ledger_transactions").select("id").where("payment_id", "=", id).execute()).toHaveLength(
      1,
    );
    // One run of the rules: one velocity attempt, four fraud decisions.
    expect(await db.selectFrom("velocity_attempts").selectAll().where("user_id", "=", userId).execute()).toHaveLength(
      1,
    );
    expect(await decisions(id)).toHaveLength(4);

    await expect(authorize(payments, userId, method.id, orderId)).resolves.toEqual(results[0]);
    await expect(authorize(payments, userId, method.id, orderId, 2_000)).rejects.toMatchObject({
      kind: "conflict",
      code: "PAYMENTS_IDEMPOTENCY_MISMATCH",
    });
  });

  it("captures once under 10 concurrent captures: exactly one capture posting", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const authorized = await authorize(payments, userId, method.id, unique("order"), 4_200);
    const captures = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? slowPayments : payments).useCases.capturePayment(authorized.orderId),
      ),
    );
    expect(captures.every((p) => p.status === "CAPTURED" && p.id === authorized.id)).toBe(true);
    expect(await postings(authorized.id)).toEqual([
      { kind: "authorize", account: "customer_authorizations", direction: "debit", amount_minor: 4_200 },
      { kind: "authorize", account: "authorizations_outstanding", direction: "credit", amount_minor: 4_200 },
      { kind: "capture", account: "authorizations_outstanding", direction: "debit", amount_minor: 4_200 },
      { kind: "capture", account: "customer_authorizations", direction: "credit", amount_minor: 4_200 },
      { kind: "capture", account: "psp_receivable", direction: "debit", amount_minor: 4_200 },
      { kind: "capture", account: "sales_revenue", direction: "credit", amount_minor: 4_200 },
    ]);
    const { payment } = await client.capturePayment({ orderId: authorized.orderId });
    expect(payment?.status).toBe(PaymentStatus.CAPTURED);
  });

  it("voids an authorization (reversing the hold); a void is a no-op when there is nothing to release", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const authorized = await authorize(payments, userId, method.id, unique("order"), 800);
    await client.voidPayment({ orderId: authorized.orderId });
    await client.voidPayment({ orderId: authorized.orderId });
    expect((await payments.useCases.getPayment(authorized.orderId)).status).toBe("VOIDED");
    expect((await postings(authorized.id)).filter((p) => p.kind === "void")).toEqual([
      { kind: "void", account: "authorizations_outstanding", direction: "debit", amount_minor: 800 },
      { kind: "void", account: "customer_authorizations", direction: "credit", amount_minor: 800 },
    ]);
    await expect(payments.useCases.capturePayment(authorized.orderId)).rejects.toMatchObject({
      kind: "failed_precondition",
      code: "PAYMENTS_NOT_CAPTURABLE",
    });

    await expect(payments.useCases.voidPayment(unique("no-such-order"))).resolves.toBeUndefined();
    const declinedUser = unique("buyer");
    const declinedCard = await addCard(payments, declinedUser, "4000000000000002");
    const declined = await authorize(payments, declinedUser, declinedCard.id);
    await payments.useCases.voidPayment(declined.orderId);
    expect((await payments.useCases.getPayment(declined.orderId)).status).toBe("FAILED");
    expect(await postings(declined.id)).toEqual([]);
  });

  it("refunds a captured payment in full, once; refuses what is not captured", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const authorized = await authorize(payments, userId, method.id, unique("order"), 12_345);
    await expect(payments.useCases.refundPayment(authorized.orderId)).rejects.toMatchObject({
      kind: "failed_precondition",
      code: "PAYMENTS_NOT_REFUNDABLE",
    });
    await payments.useCases.capturePayment(authorized.orderId);
    const [first, second] = await Promise.all([
      payments.useCases.refundPayment(authorized.orderId),
      slowPayments.useCases.refundPayment(authorized.orderId),
    ]);
    expect([first?.status, second?.status]).toEqual(["REFUNDED", "REFUNDED"]);
    const { payment } = await client.refundPayment({ orderId: authorized.orderId });
    expect(payment?.status).toBe(PaymentStatus.REFUNDED);
    expect((await postings(authorized.id)).filter((p) => p.kind === "refund")).toEqual([
      { kind: "refund", account: "sales_refunds", direction: "debit", amount_minor: 12_345 },
      { kind: "refund", account: "psp_receivable", direction: "credit", amount_minor: 12_345 },
    ]);
    await expect(payments.useCases.voidPayment(authorized.orderId)).rejects.toMatchObject({
      code: "PAYMENTS_NOT_VOIDABLE",
    });
  });

  it("answers NOT_FOUND for an order without a payment", async () => {
    for (const call of [
      client.getPayment({ orderId: "nothing" }),
      client.capturePayment({ orderId: "nothing" }),
      client.refundPayment({ orderId: "nothing" }),
    ]) {
      expect(await rejection(call)).toMatchObject({ kind: "not_found", code: "PAYMENTS_NOT_FOUND" });
    }
  });

  it("blocks an amount above the threshold before the provider, and records every rule", async () => {
    const userId = unique("big-spender");
    const method = await addCard(payments, userId);
    const atLimit = await authorize(payments, userId, method.id, unique("order"), 500_000);
    expect(atLimit.status).toBe("AUTHORIZED");
    const over = await authorize(payments, userId, method.id, unique("order"), 500_001);
    expect(over).toMatchObject({ status: "FAILED", failureCode: "fraud_amount_threshold" });
    expect(await decisions(over.id)).toEqual([
      { rule: "amount_threshold", outcome: "block", details: { amountMinor: 500_001, maxAmountMinor: 500_000 } },
      { rule: "velocity", outcome: "pass", details: { attemptsInWindow: 2, velocityMax: 3, windowMs: 60_000 } },
      { rule: "blocked_card", outcome: "pass", details: { cardBlocked: false } },
    ]);
    expect(await postings(over.id)).toEqual([]);
  });

  it("trips the velocity rule after N attempts within the window and resets after it", async () => {
    const userId = unique("card-tester");
    const method = await addCard(payments, userId);
    for (let i = 0; i < 3; i += 1) {
      expect((await authorize(payments, userId, method.id)).status).toBe("AUTHORIZED");
      now = new Date(now.getTime() + 10_000);
    }
    const fourth = await authorize(payments, userId, method.id);
    expect(fourth).toMatchObject({ status: "FAILED", failureCode: "fraud_velocity" });
    expect((await decisions(fourth.id))[1]).toMatchObject({ rule: "velocity", outcome: "block" });
    // The first attempt leaves the window 60 s after it was made; the other three stay in it.
    now = new Date(now.getTime() + 30_001);
    expect((await authorize(payments, userId, method.id)).status).toBe("FAILED");
    now = new Date(now.getTime() + 60_000);
    expect((await authorize(payments, userId, method.id)).status).toBe("AUTHORIZED");
  });

  it("blocks a card by fingerprint, whichever user holds it", async () => {
    const first = await addCard(payments, unique("victim"), "4000056655665556");
    await payments.useCases.blockCard(first.fingerprint, "chargeback on order 42");
    await payments.useCases.blockCard(first.fingerprint, "again");
    const userId = unique("fraudster");
    const same = await addCard(payments, userId, "4000 0566 5566 5556");
    expect(same.fingerprint).toBe(first.fingerprint);
    const attempt = await authorize(payments, userId, same.id);
    expect(attempt).toMatchObject({ status: "FAILED", failureCode: "fraud_blocked_card" });
    await expect(payments.useCases.blockCard("4000056655665556", "")).rejects.toMatchObject({
      code: "PAYMENTS_INVALID_BLOCK",
      fields: [{ field: "fingerprint" }, { field: "reason" }],
    });
  });

  it("keeps the simulator's behaviour across a restart (the vault is in PostgreSQL)", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId, "4000000000009995");
    const restarted = await createPaymentsService({
      database,
      config,
      logger,
      clock,
      eventLog: createInProcessEventLog(),
    });
    expect(await authorize(restarted, userId, method.id)).toMatchObject({
      status: "FAILED",
      failureCode: "insufficient_funds",
    });
  });

  describe("with a PSP that misbehaves (the real simulator behind a decorator)", () => {
    /** The authorize use case over the real stores, with `provider` as the PSP. */
    const authorizeWith = (provider: PaymentProvider) => {
      const deps = {
        payments: createPaymentStore(db),
        methods: createPaymentMethodStore(db),
        provider,
        velocity: createPostgresVelocityCounter(db),
        blockedCards: createBlockedCardStore(db),
        policy: { maxAmountMinor: 500_000, velocityMax: 3, velocityWindowMs: 60_000 },
        clock,
        newId,
        logger,
      };
      const run = runAuthorization(deps);
      return authorizePayment(deps, run, settlePayment(deps, run));
    };
    const simulator = () =>
      createCardSimulator({
        vault: createSimulatorVault(db),
        fingerprintKey: config.PAYMENTS_FINGERPRINT_KEY,
        latencyMs: 0,
        newId,
        clock,
      });

    it("an outage fails the call retryably; the retry finishes the same payment with the same idempotency key", async () => {
      const psp = simulator();
      const keys: string[] = [];
      let outages = 1;
      const flaky: PaymentProvider = {
        ...psp,
        async authorize(token, amount, idempotencyKey) {
          keys.push(idempotencyKey);
          if (outages > 0) {
            outages -= 1;
            throw new Error("connection reset by peer");
          }
          return psp.authorize(token, amount, idempotencyKey);
        },
      };
      const authorizeFlaky = authorizeWith(flaky);
      const userId = unique("buyer");
      const method = await addCard(payments, userId);
      const request = {
        orderId: unique("order"),
        userId,
        paymentMethodId: method.id,
        amount: { amountMinor: 700, currency: "USD" },
      };
      await expect(authorizeFlaky(request)).rejects.toMatchObject({
        kind: "unavailable",
        code: "PAYMENTS_PROVIDER_UNAVAILABLE",
      });
      expect((await payments.useCases.getPayment(request.orderId)).status).toBe("PENDING");
      const retried = await authorizeFlaky(request);
      expect(retried.status).toBe("AUTHORIZED");
      expect(keys).toEqual([retried.id, retried.id]);
      expect((await postings(retried.id)).map((p) => p.kind)).toEqual(["authorize", "authorize"]);
    });

    it("a highest-risk approval fails as fraudulent and its hold is voided at the provider", async () => {
      const psp = simulator();
      const voided: string[] = [];
      const risky: PaymentProvider = {
        ...psp,
        async authorize(token, amount, idempotencyKey) {
          const result = await psp.authorize(token, amount, idempotencyKey);
          return result.outcome === "approved" ? { ...result, riskLevel: "highest" } : result;
        },
        async void(authorizationId, idempotencyKey) {
          voided.push(authorizationId);
          await psp.void(authorizationId, idempotencyKey);
        },
      };
      const userId = unique("buyer");
      const method = await addCard(payments, userId);
      const payment = await authorizeWith(risky)({
        orderId: unique("order"),
        userId,
        paymentMethodId: method.id,
        amount: { amountMinor: 300, currency: "USD" },
      });
      expect(payment).toMatchObject({ status: "FAILED", failureCode: "fraudulent", riskLevel: "highest" });
      expect(voided).toHaveLength(1);
      expect(voided[0]).toMatch(/^auth_sim_/);
      expect(await postings(payment.id)).toEqual([]);
      expect((await decisions(payment.id)).at(-1)).toMatchObject({ rule: "provider_risk", outcome: "block" });
    });
  });

  it("finishes an authorization abandoned by a dead process once its lease runs out", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const abandon = async (orderId: string) => {
      const id = newId();
      await db
        .insertInto("payments")
        .values({
          id,
          order_id: orderId,
          user_id: userId,
          payment_method_id: method.id,
          amount_minor: 999,
          currency: "USD",
          status: "PENDING",
          lease_until: new Date(now.getTime() + 30_000),
        })
        .execute();
      return id;
    };
    const forRecovery = await abandon(unique("order"));
    const forRetry = unique("order");
    await abandon(forRetry);
    expect(await payments.useCases.resumeStalledAuthorizations()).toBe(0);
    expect((await payments.useCases.getPayment(forRetry)).status).toBe("PENDING");
    const { payment: pending } = await client.getPayment({ orderId: forRetry });
    expect(pending?.status).toBe(PaymentStatus.UNSPECIFIED);

    now = new Date(now.getTime() + 30_000);
    // The saga's retry of the same authorization takes the lease over and finishes it.
    const retried = await authorize(payments, userId, method.id, forRetry, 999);
    expect(retried.status).toBe("AUTHORIZED");
    // The recovery loop finishes the other one.
    expect(await payments.useCases.resumeStalledAuthorizations()).toBe(1);
    expect(await db.selectFrom("payments").select("status").where("id", "=", forRecovery).executeTakeFirst()).toEqual({
      status: "AUTHORIZED",
    });
    expect((await postings(forRecovery)).map((p) => p.kind)).toEqual(["authorize", "authorize"]);
    expect(await payments.useCases.resumeStalledAuthorizations()).toBe(0);
  });

  it("the deferred constraint trigger refuses an unbalanced ledger transaction written directly in SQL", async () => {
    const userId = unique("buyer");
    const method = await addCard(payments, userId);
    const payment = await authorize(payments, userId, method.id);
    const transactionId = newId();
    const writeTransaction = (
      entries: { account: "psp_receivable" | "sales_revenue"; direction: "debit" | "credit"; amount_minor: number }[],
    ) =>
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto("ledger_transactions")
          .values({ id: transactionId, payment_id: payment.id, kind: "refund", currency: "USD", created_at: now })
          .execute();
        for (const entry of entries) {
          await trx
            .insertInto("ledger_entries")
            .values({ transaction_id: transactionId, ...entry })
            .execute();
        }
      });

    await expect(
      writeTransaction([
        { account: "psp_receivable", direction: "debit", amount_minor: 100 },
        { account: "sales_revenue", direction: "credit", amount_minor: 90 },
      ]),
    ).rejects.toThrow(/unbalanced: debits 100, credits 90/);
    await expect(
      writeTransaction([{ account: "psp_receivable", direction: "debit", amount_minor: 100 }]),
    ).rejects.toThrow(/unbalanced/);
    await expect(writeTransaction([])).rejects.toThrow(/unbalanced: debits 0, credits 0, 0 entries/);
    expect(await db.selectFrom("ledger_transactions").select("id").where("id", "=", transactionId).execute()).toEqual(
      [],
    );

    // Deferred: the first entry alone does not fail its statement; the check runs when asked
    // for (or at commit) and passes once the entries balance. Rolled back to leave the ledger as it was.
    const rollback = new Error("rollback");
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto("ledger_transactions")
          .values({ id: transactionId, payment_id: payment.id, kind: "refund", currency: "USD", created_at: now })
          .execute();
        await trx
          .insertInto("ledger_entries")
          .values({ transaction_id: transactionId, account: "psp_receivable", direction: "debit", amount_minor: 5 })
          .execute();
        await trx
          .insertInto("ledger_entries")
          .values({ transaction_id: transactionId, account: "sales_revenue", direction: "credit", amount_minor: 5 })
          .execute();
        await sql`set constraints all immediate`.execute(trx);
        throw rollback;
      }),
    ).rejects.toBe(rollback);

    // Append-only: history is corrected by new transactions, never rewritten.
    await expect(
      db.updateTable("ledger_entries").set({ amount_minor: 1 }).where("transaction_id", "is not", null).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom("ledger_transactions").where("payment_id", "=", payment.id).execute()).rejects.toThrow(
      /append-only/,
    );
  });

  it("never stores or logs a raw card number (every column of every table, every log line)", async () => {
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
       where table_schema = ${PAYMENTS_SCHEMA} and table_type = 'BASE TABLE'`.execute(db);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["payment_methods", "simulator_vault"]));
    const rows: string[] = [];
    for (const { table_name } of tables) {
      const table = sql.table(`${PAYMENTS_SCHEMA}.${table_name}`);
      const result = await sql<{ row: string }>`select t::text as row from ${table} t`.execute(db);
      rows.push(...result.rows.map((r) => `${table_name}: ${r.row}`));
    }
    expect(rows.filter((r) => r.startsWith("payment_methods:")).length).toBeGreaterThan(10);
    expect(rows.some((r) => r.includes(",4242,"))).toBe(true);
    expect(logLines.some((l) => l.includes("authorization completed"))).toBe(true);
    expect(numbersUsed.size).toBeGreaterThanOrEqual(8);
    for (const number of numbersUsed) {
      for (const haystack of [...rows, ...logLines]) {
        expect(haystack.includes(number) || haystack.includes(number.slice(0, 12)), haystack).toBe(false);
      }
    }
  });

  it("ends with every ledger transaction balanced and every account equal to the sum of its entries", async () => {
    expect(await payments.useCases.verifyLedger()).toEqual([]);
    expect(await payments.useCases.verifyAccountBalances()).toEqual([]);
    const balances = await payments.useCases.ledgerBalances();
    const fromEntries = await db
      .selectFrom("ledger_entries as e")
      .select([
        "e.account",
        sql<number>`sum(case when e.direction = 'debit' then e.amount_minor else -e.amount_minor end)::int8`.as("net"),
      ])
      .groupBy("e.account")
      .execute();
    expect(Object.fromEntries(balances.map((b) => [b.account, b.balanceMinor]))).toEqual(
      Object.fromEntries(fromEntries.map((r) => [r.account, r.net])),
    );
    expect(balances.reduce((sum, b) => sum + b.balanceMinor, 0)).toBe(0);

    // The balances tell the payments' story: holds outstanding = authorized amounts, and so on.
    const sumOf = async (statuses: ("AUTHORIZED" | "CAPTURED" | "REFUNDED")[]) =>
      (
        await db
          .selectFrom("payments")
          .select(sql<number>`coalesce(sum(amount_minor), 0)::int8`.as("total"))
          .where("status", "in", statuses)
          .executeTakeFirstOrThrow()
      ).total;
    const balance = (account: string) => balances.find((b) => b.account === account)?.balanceMinor ?? 0;
    expect(balance("customer_authorizations")).toBe(await sumOf(["AUTHORIZED"]));
    expect(balance("authorizations_outstanding")).toBe(-(await sumOf(["AUTHORIZED"])));
    expect(balance("psp_receivable")).toBe(await sumOf(["CAPTURED"]));
    expect(balance("sales_revenue")).toBe(-(await sumOf(["CAPTURED", "REFUNDED"])));
    expect(balance("sales_refunds")).toBe(await sumOf(["REFUNDED"]));
  });
});
