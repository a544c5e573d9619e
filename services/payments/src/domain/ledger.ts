import { SoukError, type Money } from "@souk/platform";

/**
 * The ledger's accounts.
 * - `customer_authorizations` / `authorizations_outstanding`: the memo pair of card holds
 *   (debit one, credit the other while funds are held; both return to zero when the hold ends).
 * - `psp_receivable`: money the provider owes the store for captured payments (an asset).
 * - `sales_revenue`: captured sales (revenue, credit-normal).
 * - `sales_refunds`: refunded sales (contra-revenue, debit-normal).
 */
export type LedgerAccount =
  "customer_authorizations" | "authorizations_outstanding" | "psp_receivable" | "sales_revenue" | "sales_refunds";

/** Every account, for reports that must list all of them. */
export const LEDGER_ACCOUNTS: readonly LedgerAccount[] = [
  "customer_authorizations",
  "authorizations_outstanding",
  "psp_receivable",
  "sales_revenue",
  "sales_refunds",
];

/** The payment event a ledger transaction records (at most one of each kind per payment). */
export type LedgerKind = "authorize" | "capture" | "void" | "refund";

/** One side of a posting. `amountMinor` is a positive integer in the transaction's currency. */
export interface LedgerEntry {
  readonly account: LedgerAccount;
  readonly direction: "debit" | "credit";
  readonly amountMinor: number;
}

/** A balanced set of entries, in one currency, recording one event of one payment. */
export interface LedgerTransaction {
  /** UUIDv7. */
  readonly id: string;
  readonly paymentId: string;
  readonly kind: LedgerKind;
  /** ISO 4217 code of every entry. */
  readonly currency: string;
  readonly entries: readonly LedgerEntry[];
  readonly createdAt: Date;
}

/** Balance of one account in one currency. `balanceMinor` = debits − credits (debit-normal sign). */
export interface AccountBalance {
  readonly account: LedgerAccount;
  readonly currency: string;
  readonly debitMinor: number;
  readonly creditMinor: number;
  readonly balanceMinor: number;
}

/** Sums of debits and credits of some entries. */
export function totals(entries: readonly LedgerEntry[]): { debitMinor: number; creditMinor: number } {
  let debitMinor = 0;
  let creditMinor = 0;
  for (const entry of entries) {
    if (entry.direction === "debit") debitMinor += entry.amountMinor;
    else creditMinor += entry.amountMinor;
  }
  return { debitMinor, creditMinor };
}

/**
 * Why a set of entries cannot be a ledger transaction, or undefined when it can: the rule of
 * double entry is at least two entries, each a positive integer amount, whose debits equal
 * their credits (one currency per transaction, so this is the per-currency balance).
 */
export function imbalanceOf(entries: readonly LedgerEntry[]): string | undefined {
  if (entries.length < 2) return `a transaction needs at least two entries, got ${entries.length}`;
  const bad = entries.find((e) => !Number.isSafeInteger(e.amountMinor) || e.amountMinor <= 0);
  if (bad !== undefined) return `entry amounts must be positive integers, got ${bad.amountMinor} on ${bad.account}`;
  const { debitMinor, creditMinor } = totals(entries);
  if (debitMinor !== creditMinor) return `debits ${debitMinor} do not equal credits ${creditMinor}`;
  return undefined;
}

/**
 * Builds a ledger transaction, refusing one that does not balance (see `imbalanceOf`).
 * @throws SoukError internal PAYMENTS_LEDGER_UNBALANCED — a programming error: the postings
 *   below always balance, and the database refuses an unbalanced transaction again at commit.
 */
export function buildLedgerTransaction(transaction: LedgerTransaction): LedgerTransaction {
  const problem = imbalanceOf(transaction.entries);
  if (problem !== undefined) {
    throw new SoukError(
      "internal",
      "PAYMENTS_LEDGER_UNBALANCED",
      `ledger transaction ${transaction.kind} of payment ${transaction.paymentId} refused: ${problem}`,
    );
  }
  if (!/^[A-Z]{3}$/.test(transaction.currency)) {
    throw new SoukError("internal", "PAYMENTS_LEDGER_UNBALANCED", `currency ${transaction.currency} is not ISO 4217`);
  }
  return transaction;
}

const debit = (account: LedgerAccount, amountMinor: number): LedgerEntry => ({
  account,
  direction: "debit",
  amountMinor,
});
const credit = (account: LedgerAccount, amountMinor: number): LedgerEntry => ({
  account,
  direction: "credit",
  amountMinor,
});

/**
 * The entries of a payment event of `amountMinor`:
 * - authorize: debit customer_authorizations / credit authorizations_outstanding (the hold);
 * - capture: reverse the hold, then debit psp_receivable / credit sales_revenue;
 * - void: reverse the hold;
 * - refund: debit sales_refunds / credit psp_receivable.
 */
export function postingsOf(kind: LedgerKind, amountMinor: number): LedgerEntry[] {
  switch (kind) {
    case "authorize":
      return [debit("customer_authorizations", amountMinor), credit("authorizations_outstanding", amountMinor)];
    case "capture":
      return [
        debit("authorizations_outstanding", amountMinor),
        credit("customer_authorizations", amountMinor),
        debit("psp_receivable", amountMinor),
        credit("sales_revenue", amountMinor),
      ];
    case "void":
      return [debit("authorizations_outstanding", amountMinor), credit("customer_authorizations", amountMinor)];
    case "refund":
      return [debit("sales_refunds", amountMinor), credit("psp_receivable", amountMinor)];
  }
}

/**
 * The balanced ledger transaction recording `kind` for payment `paymentId` of `amount`.
 * @throws SoukError internal PAYMENTS_LEDGER_UNBALANCED for a non-positive amount.
 */
export function paymentPosting(
  kind: LedgerKind,
  paymentId: string,
  amount: Money,
  id: string,
  createdAt: Date,
): LedgerTransaction {
  return buildLedgerTransaction({
    id,
    paymentId,
    kind,
    currency: amount.currency,
    entries: postingsOf(kind, amount.amountMinor),
    createdAt,
  });
}

/** Store port of the ledger's reports (postings are written by the payment store, in the state change's transaction). */
export interface LedgerStore {
  /** The stored balance of every account that has entries, per currency. */
  balances(): Promise<AccountBalance[]>;
  /** Ids of stored transactions that do not balance or have fewer than two entries (should be none). */
  unbalancedTransactions(): Promise<string[]>;
  /** Balances recomputed from the entries themselves, per account and currency. */
  balancesFromEntries(): Promise<AccountBalance[]>;
}
