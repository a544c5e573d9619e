import { sql, type Kysely, type Migration } from "kysely";
import { inboxMigration, outboxMigration } from "@souk/messaging";

const STATUSES = sql`('PENDING', 'AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED', 'FAILED')`;
const FAILURE_CODES = sql`('card_declined', 'insufficient_funds', 'fraudulent', 'processing_error', 'fraud_amount_threshold', 'fraud_velocity', 'fraud_blocked_card')`;
const ACCOUNTS = sql`('customer_authorizations', 'authorizations_outstanding', 'psp_receivable', 'sales_revenue', 'sales_refunds')`;

/**
 * Forward-only migrations of the payments schema named `schema`, applied in name order at
 * startup. Functions and triggers name their tables with the schema, so they work whatever
 * the session's search_path.
 */
export function paymentsMigrations(schema: string): Record<string, Migration> {
  const s = sql.id(schema);
  return {
    "0001_payment_methods_and_payments": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("payment_methods")
          .addColumn("id", "uuid", (c) => c.primaryKey())
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("brand", "text", (c) =>
            c.notNull().check(sql`brand in ('visa', 'mastercard', 'amex', 'discover', 'unknown')`),
          )
          .addColumn("last4", "text", (c) => c.notNull().check(sql`last4 ~ '^[0-9]{4}$'`))
          .addColumn("exp_month", "int4", (c) => c.notNull().check(sql`exp_month between 1 and 12`))
          .addColumn("exp_year", "int4", (c) => c.notNull())
          .addColumn("fingerprint", "text", (c) => c.notNull().check(sql`fingerprint ~ '^[0-9a-f]{64}$'`))
          .addColumn("provider_token", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        await db.schema.createIndex("payment_methods_user").on("payment_methods").column("user_id").execute();
        await db.schema
          .createIndex("payment_methods_fingerprint")
          .on("payment_methods")
          .column("fingerprint")
          .execute();

        await db.schema
          .createTable("payments")
          .addColumn("id", "uuid", (c) => c.primaryKey())
          .addColumn("order_id", "text", (c) => c.notNull().unique())
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("payment_method_id", "uuid", (c) => c.notNull().references("payment_methods.id"))
          .addColumn("amount_minor", "int8", (c) => c.notNull().check(sql`amount_minor > 0`))
          .addColumn("currency", "text", (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
          .addColumn("status", "text", (c) => c.notNull().check(sql`status in ${STATUSES}`))
          .addColumn("failure_code", "text", (c) => c.check(sql`failure_code in ${FAILURE_CODES}`))
          .addColumn("authorization_id", "text")
          .addColumn("risk_level", "text", (c) => c.check(sql`risk_level in ('normal', 'elevated', 'highest')`))
          .addColumn("lease_until", "timestamptz", (c) => c.notNull())
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .addCheckConstraint("payments_failed_has_code", sql`(status = 'FAILED') = (failure_code is not null)`)
          .addCheckConstraint(
            "payments_authorized_has_authorization",
            sql`status in ('PENDING', 'FAILED') or authorization_id is not null`,
          )
          .execute();
        await db.schema
          .createIndex("payments_pending_lease")
          .on("payments")
          .column("lease_until")
          .where(sql.ref("status"), "=", "PENDING")
          .execute();
      },
    },

    "0002_fraud": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("fraud_decisions")
          .addColumn("id", "int8", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("payment_id", "uuid", (c) => c.notNull().references("payments.id"))
          .addColumn("rule", "text", (c) =>
            c.notNull().check(sql`rule in ('amount_threshold', 'velocity', 'blocked_card', 'provider_risk')`),
          )
          .addColumn("outcome", "text", (c) => c.notNull().check(sql`outcome in ('pass', 'block')`))
          .addColumn("details", "jsonb", (c) => c.notNull())
          .addColumn("decided_at", "timestamptz", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("fraud_decisions_payment").on("fraud_decisions").column("payment_id").execute();

        await db.schema
          .createTable("velocity_attempts")
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("attempt_id", "text", (c) => c.notNull())
          .addColumn("attempted_at", "timestamptz", (c) => c.notNull())
          .addPrimaryKeyConstraint("velocity_attempts_pk", ["user_id", "attempt_id"])
          .execute();
        await db.schema
          .createIndex("velocity_attempts_window")
          .on("velocity_attempts")
          .columns(["user_id", "attempted_at"])
          .execute();

        // Seeded empty: cards are blocked by an operator through the blockCard use case.
        await db.schema
          .createTable("blocked_cards")
          .addColumn("fingerprint", "text", (c) => c.primaryKey().check(sql`fingerprint ~ '^[0-9a-f]{64}$'`))
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("blocked_at", "timestamptz", (c) => c.notNull())
          .execute();
      },
    },

    "0003_ledger": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("ledger_transactions")
          .addColumn("id", "uuid", (c) => c.primaryKey())
          .addColumn("payment_id", "uuid", (c) => c.notNull().references("payments.id"))
          .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('authorize', 'capture', 'void', 'refund')`))
          .addColumn("currency", "text", (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          // One posting of each kind per payment: a second capture cannot be recorded, whatever the code does.
          .addUniqueConstraint("ledger_transactions_one_per_kind", ["payment_id", "kind"])
          .execute();
        await db.schema
          .createTable("ledger_entries")
          .addColumn("id", "int8", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("transaction_id", "uuid", (c) => c.notNull().references("ledger_transactions.id"))
          .addColumn("account", "text", (c) => c.notNull().check(sql`account in ${ACCOUNTS}`))
          .addColumn("direction", "text", (c) => c.notNull().check(sql`direction in ('debit', 'credit')`))
          .addColumn("amount_minor", "int8", (c) => c.notNull().check(sql`amount_minor > 0`))
          .execute();
        await db.schema
          .createIndex("ledger_entries_transaction")
          .on("ledger_entries")
          .column("transaction_id")
          .execute();
        await db.schema
          .createTable("ledger_accounts")
          .addColumn("account", "text", (c) => c.notNull().check(sql`account in ${ACCOUNTS}`))
          .addColumn("currency", "text", (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
          .addColumn("debit_minor", "int8", (c) =>
            c
              .notNull()
              .defaultTo(0)
              .check(sql`debit_minor >= 0`),
          )
          .addColumn("credit_minor", "int8", (c) =>
            c
              .notNull()
              .defaultTo(0)
              .check(sql`credit_minor >= 0`),
          )
          .addPrimaryKeyConstraint("ledger_accounts_pk", ["account", "currency"])
          .execute();

        // Double entry, enforced by the database at commit: every transaction touched by the
        // committing database transaction must have at least two entries whose debits equal
        // their credits. Deferred, so the entries of one transaction may arrive in several statements.
        await sql`
          create function ${s}.ledger_assert_balanced() returns trigger language plpgsql as $$
          declare
            txn uuid;
            debits numeric;
            credits numeric;
            entry_count int;
          begin
            if TG_TABLE_NAME = 'ledger_entries' then
              txn := NEW.transaction_id;
            else
              txn := NEW.id;
            end if;
            select coalesce(sum(amount_minor) filter (where direction = 'debit'), 0),
                   coalesce(sum(amount_minor) filter (where direction = 'credit'), 0),
                   count(*)
              into debits, credits, entry_count
              from ${s}.ledger_entries
             where transaction_id = txn;
            if entry_count < 2 or debits <> credits then
              raise exception 'ledger transaction % is unbalanced: debits %, credits %, % entries',
                txn, debits, credits, entry_count
                using errcode = 'check_violation', constraint = 'ledger_transaction_balanced';
            end if;
            return null;
          end
          $$`.execute(db);
        await sql`
          create constraint trigger ledger_entries_balanced
            after insert on ${s}.ledger_entries
            deferrable initially deferred
            for each row execute function ${s}.ledger_assert_balanced()`.execute(db);
        await sql`
          create constraint trigger ledger_transactions_balanced
            after insert on ${s}.ledger_transactions
            deferrable initially deferred
            for each row execute function ${s}.ledger_assert_balanced()`.execute(db);

        // The ledger is append-only: a correction is a new, reversing transaction.
        await sql`
          create function ${s}.ledger_refuse_change() returns trigger language plpgsql as $$
          begin
            raise exception 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
              using errcode = 'restrict_violation';
          end
          $$`.execute(db);
        for (const table of ["ledger_transactions", "ledger_entries"]) {
          await sql`
            create trigger ${sql.id(`${table}_append_only`)}
              before update or delete on ${s}.${sql.id(table)}
              for each row execute function ${s}.ledger_refuse_change()`.execute(db);
          await sql`
            create trigger ${sql.id(`${table}_no_truncate`)}
              before truncate on ${s}.${sql.id(table)}
              for each statement execute function ${s}.ledger_refuse_change()`.execute(db);
        }
      },
    },

    "0004_simulator_vault": {
      async up(db: Kysely<unknown>) {
        // The card simulator's vault (it plays the PSP): token → behaviour, never a card number.
        await db.schema
          .createTable("simulator_vault")
          .addColumn("token", "text", (c) => c.primaryKey())
          .addColumn("behaviour", "text", (c) =>
            c
              .notNull()
              .check(
                sql`behaviour in ('approve', 'card_declined', 'insufficient_funds', 'fraudulent', 'processing_error')`,
              ),
          )
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
      },
    },
    "0100_outbox": outboxMigration,
    "0101_inbox": inboxMigration,
  };
}
