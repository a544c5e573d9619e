import type { AccountBalance, LedgerStore } from "../domain/ledger.ts";

/** The running balance of every ledger account with entries, per currency (debits − credits, debit-normal). */
export function ledgerBalances(ledger: LedgerStore) {
  return (): Promise<AccountBalance[]> => ledger.balances();
}

/**
 * Audits double entry: the ids of ledger transactions that do not balance or have fewer than
 * two entries. Always empty unless the database was tampered with (the deferred constraint
 * trigger refuses such a commit); chaos checks call it after killing processes.
 */
export function verifyLedger(ledger: LedgerStore) {
  return (): Promise<string[]> => ledger.unbalancedTransactions();
}

/**
 * Audits the running balances: accounts (per currency) whose stored balance differs from the
 * sum of their entries, with both figures. Always empty unless something wrote entries or
 * balances outside a posting.
 */
export function verifyAccountBalances(ledger: LedgerStore) {
  return async (): Promise<{ stored: AccountBalance | undefined; fromEntries: AccountBalance | undefined }[]> => {
    const key = (b: AccountBalance): string => `${b.account}/${b.currency}`;
    const stored = new Map((await ledger.balances()).map((b) => [key(b), b]));
    const fromEntries = new Map((await ledger.balancesFromEntries()).map((b) => [key(b), b]));
    const drifted: { stored: AccountBalance | undefined; fromEntries: AccountBalance | undefined }[] = [];
    for (const k of new Set([...stored.keys(), ...fromEntries.keys()])) {
      const s = stored.get(k);
      const e = fromEntries.get(k);
      if (s?.debitMinor !== e?.debitMinor || s?.creditMinor !== e?.creditMinor)
        drifted.push({ stored: s, fromEntries: e });
    }
    return drifted;
  };
}
