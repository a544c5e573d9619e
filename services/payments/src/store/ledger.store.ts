import { sql, type Kysely } from "kysely";
import { prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import {
  LEDGER_ACCOUNTS,
  type AccountBalance,
  type LedgerAccount,
  type LedgerStore,
  type LedgerTransaction,
} from "../domain/ledger.ts";
import type { PaymentsDatabase, PaymentsDb } from "./payments.tables.ts";

const insertLedgerTransaction = prepareQuery(
  (db: Kysely<PaymentsDatabase>, p: Pick<LedgerTransaction, "id" | "paymentId" | "kind" | "currency" | "createdAt">) =>
    db.insertInto("ledger_transactions").values({
      id: p.id,
      payment_id: p.paymentId,
      kind: p.kind,
      currency: p.currency,
      created_at: p.createdAt,
    }),
);

const insertLedgerEntries = prepareQueries(
  (db: Kysely<PaymentsDatabase>, p: { transactionId: string; entries: LedgerTransaction["entries"] }, count: number) =>
    db.insertInto("ledger_entries").values(
      standInsOf(p.entries, count).map((e) => ({
        transaction_id: p.transactionId,
        account: e.account,
        direction: e.direction,
        amount_minor: e.amountMinor,
      })),
    ),
);

/** The running balance of one account in one currency, as an upsert's row. */
interface AccountSums {
  readonly account: LedgerAccount;
  readonly debit: number;
  readonly credit: number;
}

const addToBalances = prepareQueries(
  (db: Kysely<PaymentsDatabase>, p: { currency: string; sums: readonly AccountSums[] }, count: number) =>
    db
      .insertInto("ledger_accounts")
      .values(
        standInsOf(p.sums, count).map((sums) => ({
          account: sums.account,
          currency: p.currency,
          debit_minor: sums.debit,
          credit_minor: sums.credit,
        })),
      )
      .onConflict((oc) =>
        oc.columns(["account", "currency"]).doUpdateSet({
          debit_minor: sql<number>`ledger_accounts.debit_minor + excluded.debit_minor`,
          credit_minor: sql<number>`ledger_accounts.credit_minor + excluded.credit_minor`,
        }),
      ),
);

/**
 * Writes a ledger transaction — its row, its entries and the running balances of the
 * accounts it touches — inside the caller's database transaction `trx` (the one that changes
 * the payment's state). Balances are upserted in account order so concurrent postings lock
 * account rows in one global order (no deadlocks on PostgreSQL). The deferred constraint
 * trigger checks the balance again at commit.
 */
export async function postLedgerTransaction(trx: PaymentsDb, transaction: LedgerTransaction): Promise<void> {
  await insertLedgerTransaction.affected(trx, transaction);
  await insertLedgerEntries(transaction.entries.length).affected(trx, {
    transactionId: transaction.id,
    entries: transaction.entries,
  });
  const perAccount = new Map<LedgerAccount, { debit: number; credit: number }>();
  for (const e of transaction.entries) {
    const sums = perAccount.get(e.account) ?? { debit: 0, credit: 0 };
    if (e.direction === "debit") sums.debit += e.amountMinor;
    else sums.credit += e.amountMinor;
    perAccount.set(e.account, sums);
  }
  const sums = [...perAccount]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([account, { debit, credit }]): AccountSums => ({ account, debit, credit }));
  await addToBalances(sums.length).affected(trx, { currency: transaction.currency, sums });
}

function toBalance(row: {
  account: LedgerAccount;
  currency: string;
  debit_minor: number;
  credit_minor: number;
}): AccountBalance {
  return {
    account: row.account,
    currency: row.currency,
    debitMinor: row.debit_minor,
    creditMinor: row.credit_minor,
    balanceMinor: row.debit_minor - row.credit_minor,
  };
}

const accountOrder = (a: AccountBalance, b: AccountBalance): number =>
  a.currency === b.currency
    ? LEDGER_ACCOUNTS.indexOf(a.account) - LEDGER_ACCOUNTS.indexOf(b.account)
    : a.currency < b.currency
      ? -1
      : 1;

/** The ledger's reports on PostgreSQL. */
export function createLedgerStore(db: Kysely<PaymentsDatabase>): LedgerStore {
  return {
    async balances() {
      const rows = await db
        .selectFrom("ledger_accounts")
        .select(["account", "currency", "debit_minor", "credit_minor"])
        .execute();
      return rows.map(toBalance).sort(accountOrder);
    },

    async balancesFromEntries() {
      const rows = await db
        .selectFrom("ledger_entries as e")
        .innerJoin("ledger_transactions as t", "t.id", "e.transaction_id")
        .select([
          "e.account",
          "t.currency",
          sql<number>`coalesce(sum(e.amount_minor) filter (where e.direction = 'debit'), 0)::int8`.as("debit_minor"),
          sql<number>`coalesce(sum(e.amount_minor) filter (where e.direction = 'credit'), 0)::int8`.as("credit_minor"),
        ])
        .groupBy(["e.account", "t.currency"])
        .execute();
      return rows.map(toBalance).sort(accountOrder);
    },

    async unbalancedTransactions() {
      const rows = await db
        .selectFrom("ledger_transactions as t")
        .leftJoin("ledger_entries as e", "e.transaction_id", "t.id")
        .select("t.id")
        .groupBy("t.id")
        .having((eb) =>
          eb.or([
            eb(eb.fn.count("e.id"), "<", 2),
            eb(
              sql`coalesce(sum(e.amount_minor) filter (where e.direction = 'debit'), 0)`,
              "<>",
              sql`coalesce(sum(e.amount_minor) filter (where e.direction = 'credit'), 0)`,
            ),
          ]),
        )
        .orderBy("t.id")
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
