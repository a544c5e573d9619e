import { sql, type Kysely, type Selectable } from "kysely";
import { prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import type { Payment, PaymentStore } from "../domain/payment.ts";
import { appendToOutbox } from "@souk/messaging";
import { paymentChangedEvent } from "../events/payment.events.ts";
import { postLedgerTransaction } from "./ledger.store.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

type PaymentRow = Selectable<PaymentsDatabase["payments"]>;
type FraudDecisionRow = Omit<Selectable<PaymentsDatabase["fraud_decisions"]>, "id">;

/** Claims the order's payment: the new row, or nothing when the order has one (the unique order_id). */
const claimPayment = prepareQuery(
  (
    db: Kysely<PaymentsDatabase>,
    p: Omit<PaymentRow, "status" | "failure_code" | "authorization_id" | "risk_level" | "created_at" | "updated_at">,
  ) =>
    db
      .insertInto("payments")
      .values({
        id: p.id,
        order_id: p.order_id,
        user_id: p.user_id,
        payment_method_id: p.payment_method_id,
        amount_minor: p.amount_minor,
        currency: p.currency,
        status: "PENDING",
        lease_until: p.lease_until,
      })
      .onConflict((oc) => oc.column("order_id").doNothing())
      .returningAll(),
);

const paymentOfOrder = prepareQuery((db: Kysely<PaymentsDatabase>, p: { orderId: string }) =>
  db.selectFrom("payments").selectAll().where("order_id", "=", p.orderId),
);

/** Extends the lease of a PENDING payment whose lease ran out at `now`. */
const takeOverLease = prepareQuery(
  (db: Kysely<PaymentsDatabase>, p: { paymentId: string; now: Date; leaseUntil: Date }) =>
    db
      .updateTable("payments")
      .set({ lease_until: p.leaseUntil, updated_at: sql`now()` })
      .where("id", "=", p.paymentId)
      .where("status", "=", "PENDING")
      .where("lease_until", "<=", p.now),
);

const releasePaymentLease = prepareQuery((db: Kysely<PaymentsDatabase>, p: { paymentId: string; now: Date }) =>
  db
    .updateTable("payments")
    .set({ lease_until: p.now, updated_at: sql`now()` })
    .where("id", "=", p.paymentId)
    .where("status", "=", "PENDING"),
);

/** Writes an authorization's outcome onto its PENDING payment (the compare-and-set). */
const completePayment = prepareQuery(
  (
    db: Kysely<PaymentsDatabase>,
    p: Pick<PaymentRow, "id" | "status" | "failure_code" | "authorization_id" | "risk_level">,
  ) =>
    db
      .updateTable("payments")
      .set({
        status: p.status,
        failure_code: p.failure_code,
        authorization_id: p.authorization_id,
        risk_level: p.risk_level,
        updated_at: sql`now()`,
      })
      .where("id", "=", p.id)
      .where("status", "=", "PENDING")
      .returningAll(),
);

const insertFraudDecisions = prepareQueries(
  (db: Kysely<PaymentsDatabase>, p: { decisions: readonly FraudDecisionRow[] }, count: number) =>
    db.insertInto("fraud_decisions").values(
      standInsOf(p.decisions, count).map((d) => ({
        payment_id: d.payment_id,
        rule: d.rule,
        outcome: d.outcome,
        details: d.details,
        decided_at: d.decided_at,
      })),
    ),
);

/** Moves a payment from one status to the next (the compare-and-set of a settlement). */
const movePayment = prepareQuery(
  (db: Kysely<PaymentsDatabase>, p: { paymentId: string; from: PaymentRow["status"]; to: PaymentRow["status"] }) =>
    db
      .updateTable("payments")
      .set({ status: p.to, updated_at: sql`now()` })
      .where("id", "=", p.paymentId)
      .where("status", "=", p.from)
      .returningAll(),
);

function toPayment(row: Selectable<PaymentsDatabase["payments"]>): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    userId: row.user_id,
    paymentMethodId: row.payment_method_id,
    amount: { amountMinor: row.amount_minor, currency: row.currency },
    status: row.status,
    failureCode: row.failure_code ?? undefined,
    authorizationId: row.authorization_id ?? undefined,
    riskLevel: row.risk_level ?? undefined,
    leaseUntil: row.lease_until,
  };
}

/**
 * Payments on PostgreSQL. Every state change is a compare-and-set on `status` (an UPDATE …
 * WHERE status = expected) in the same database transaction as its ledger posting, so of
 * concurrent callers exactly one changes the state and posts. The same transaction writes the
 * `souk.payment.<status>.v1` event to the outbox; `onOutboxWritten` runs after such a commit.
 */
export function createPaymentStore(db: Kysely<PaymentsDatabase>, onOutboxWritten: () => void = () => {}): PaymentStore {
  const published = <T>(value: T): T => {
    if (value !== undefined) onOutboxWritten();
    return value;
  };
  return {
    async claim(payment) {
      // The unique order_id decides the race: one insert wins, the others read the winner's row.
      const inserted = await claimPayment.first(db, {
        id: payment.id,
        order_id: payment.orderId,
        user_id: payment.userId,
        payment_method_id: payment.paymentMethodId,
        amount_minor: payment.amount.amountMinor,
        currency: payment.amount.currency,
        lease_until: payment.leaseUntil,
      });
      if (inserted !== undefined) return { claimed: true, payment: toPayment(inserted) };
      const existing = await paymentOfOrder.first(db, { orderId: payment.orderId });
      if (existing === undefined) throw new Error(`payment of order ${payment.orderId} vanished`);
      return { claimed: false, payment: toPayment(existing) };
    },

    async findByOrder(orderId) {
      const row = await paymentOfOrder.first(db, { orderId });
      return row === undefined ? undefined : toPayment(row);
    },

    async takeOver(paymentId, now, leaseUntil) {
      return (await takeOverLease.affected(db, { paymentId, now, leaseUntil })) === 1;
    },

    async releaseLease(paymentId, now) {
      await releasePaymentLease.affected(db, { paymentId, now });
    },

    async completeAuthorization(completion) {
      const { outcome } = completion;
      return published(
        await db.transaction().execute(async (trx) => {
          const row = await completePayment.first(trx, {
            id: completion.paymentId,
            status: outcome.status,
            failure_code: outcome.status === "FAILED" ? outcome.failureCode : null,
            authorization_id: outcome.status === "AUTHORIZED" ? outcome.authorizationId : null,
            risk_level: outcome.riskLevel ?? null,
          });
          if (row === undefined) return undefined;
          if (completion.decisions.length > 0) {
            const decisions = completion.decisions.map((d): FraudDecisionRow => ({
              payment_id: completion.paymentId,
              rule: d.rule,
              outcome: d.outcome,
              details: JSON.stringify(d.details),
              decided_at: completion.decidedAt,
            }));
            await insertFraudDecisions(decisions.length).affected(trx, { decisions });
          }
          if (completion.posting !== undefined) await postLedgerTransaction(trx, completion.posting);
          const payment = toPayment(row);
          const event = paymentChangedEvent(payment, completion.decidedAt);
          if (event !== undefined) await appendToOutbox(trx, [event]);
          return payment;
        }),
      );
    },

    async transition(paymentId, move, posting) {
      return published(
        await db.transaction().execute(async (trx) => {
          const row = await movePayment.first(trx, { paymentId, from: move.from, to: move.to });
          if (row === undefined) return undefined;
          await postLedgerTransaction(trx, posting);
          const payment = toPayment(row);
          const event = paymentChangedEvent(payment, posting.createdAt);
          if (event !== undefined) await appendToOutbox(trx, [event]);
          return payment;
        }),
      );
    },

    async findStalled(now, limit) {
      const rows = await db
        .selectFrom("payments")
        .select("order_id")
        .where("status", "=", "PENDING")
        .where("lease_until", "<=", now)
        .orderBy("lease_until")
        .limit(limit)
        .execute();
      return rows.map((r) => r.order_id);
    },
  };
}
