import { sql, type Kysely, type Selectable } from "kysely";
import type { Payment, PaymentStore } from "../domain/payment.ts";
import { appendToOutbox } from "@souk/messaging";
import { paymentChangedEvent } from "../events/payment.events.ts";
import { postLedgerTransaction } from "./ledger.store.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

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
      const inserted = await db
        .insertInto("payments")
        .values({
          id: payment.id,
          order_id: payment.orderId,
          user_id: payment.userId,
          payment_method_id: payment.paymentMethodId,
          amount_minor: payment.amount.amountMinor,
          currency: payment.amount.currency,
          status: "PENDING",
          lease_until: payment.leaseUntil,
        })
        .onConflict((oc) => oc.column("order_id").doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted !== undefined) return { claimed: true, payment: toPayment(inserted) };
      const existing = await db
        .selectFrom("payments")
        .selectAll()
        .where("order_id", "=", payment.orderId)
        .executeTakeFirstOrThrow();
      return { claimed: false, payment: toPayment(existing) };
    },

    async findByOrder(orderId) {
      const row = await db.selectFrom("payments").selectAll().where("order_id", "=", orderId).executeTakeFirst();
      return row === undefined ? undefined : toPayment(row);
    },

    async takeOver(paymentId, now, leaseUntil) {
      const result = await db
        .updateTable("payments")
        .set({ lease_until: leaseUntil, updated_at: sql`now()` })
        .where("id", "=", paymentId)
        .where("status", "=", "PENDING")
        .where("lease_until", "<=", now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async releaseLease(paymentId, now) {
      await db
        .updateTable("payments")
        .set({ lease_until: now, updated_at: sql`now()` })
        .where("id", "=", paymentId)
        .where("status", "=", "PENDING")
        .execute();
    },

    async completeAuthorization(completion) {
      const { outcome } = completion;
      return published(
        await db.transaction().execute(async (trx) => {
          const row = await trx
            .updateTable("payments")
            .set({
              status: outcome.status,
              failure_code: outcome.status === "FAILED" ? outcome.failureCode : null,
              authorization_id: outcome.status === "AUTHORIZED" ? outcome.authorizationId : null,
              risk_level: outcome.riskLevel ?? null,
              updated_at: sql`now()`,
            })
            .where("id", "=", completion.paymentId)
            .where("status", "=", "PENDING")
            .returningAll()
            .executeTakeFirst();
          if (row === undefined) return undefined;
          if (completion.decisions.length > 0) {
            await trx
              .insertInto("fraud_decisions")
              .values(
                completion.decisions.map((d) => ({
                  payment_id: completion.paymentId,
                  rule: d.rule,
                  outcome: d.outcome,
                  details: JSON.stringify(d.details),
                  decided_at: completion.decidedAt,
                })),
              )
              .execute();
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
          const row = await trx
            .updateTable("payments")
            .set({ status: move.to, updated_at: sql`now()` })
            .where("id", "=", paymentId)
            .where("status", "=", move.from)
            .returningAll()
            .executeTakeFirst();
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
