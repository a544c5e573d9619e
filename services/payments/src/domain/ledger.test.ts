import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import { buildLedgerTransaction, imbalanceOf, paymentPosting, postingsOf, totals, type LedgerKind } from "./ledger.ts";

const at = new Date("2026-01-01T00:00:00Z");
const usd = { amountMinor: 1_999, currency: "USD" };

describe("double-entry ledger", () => {
  it.each<LedgerKind>(["authorize", "capture", "void", "refund"])("the %s posting balances", (kind) => {
    const tx = paymentPosting(kind, "p-1", usd, "t-1", at);
    const { debitMinor, creditMinor } = totals(tx.entries);
    expect(debitMinor).toBe(creditMinor);
    expect(tx.entries.length).toBeGreaterThanOrEqual(2);
    expect(tx.currency).toBe("USD");
  });

  it("posts the accounts the rules name", () => {
    expect(postingsOf("authorize", 5)).toEqual([
      { account: "customer_authorizations", direction: "debit", amountMinor: 5 },
      { account: "authorizations_outstanding", direction: "credit", amountMinor: 5 },
    ]);
    expect(postingsOf("capture", 5)).toEqual([
      { account: "authorizations_outstanding", direction: "debit", amountMinor: 5 },
      { account: "customer_authorizations", direction: "credit", amountMinor: 5 },
      { account: "psp_receivable", direction: "debit", amountMinor: 5 },
      { account: "sales_revenue", direction: "credit", amountMinor: 5 },
    ]);
    expect(postingsOf("void", 5)).toEqual([
      { account: "authorizations_outstanding", direction: "debit", amountMinor: 5 },
      { account: "customer_authorizations", direction: "credit", amountMinor: 5 },
    ]);
    expect(postingsOf("refund", 5)).toEqual([
      { account: "sales_refunds", direction: "debit", amountMinor: 5 },
      { account: "psp_receivable", direction: "credit", amountMinor: 5 },
    ]);
  });

  it("a hold followed by its capture leaves the hold accounts at zero", () => {
    const entries = [...postingsOf("authorize", 700), ...postingsOf("capture", 700)];
    const net = (account: string) =>
      entries
        .filter((e) => e.account === account)
        .reduce((sum, e) => sum + (e.direction === "debit" ? e.amountMinor : -e.amountMinor), 0);
    expect(net("customer_authorizations")).toBe(0);
    expect(net("authorizations_outstanding")).toBe(0);
    expect(net("psp_receivable")).toBe(700);
    expect(net("sales_revenue")).toBe(-700);
  });

  it("refuses a transaction whose debits and credits differ", () => {
    const unbalanced = {
      id: "t-2",
      paymentId: "p-1",
      kind: "capture" as const,
      currency: "USD",
      createdAt: at,
      entries: [
        { account: "psp_receivable" as const, direction: "debit" as const, amountMinor: 100 },
        { account: "sales_revenue" as const, direction: "credit" as const, amountMinor: 99 },
      ],
    };
    expect(() => buildLedgerTransaction(unbalanced)).toThrow(SoukError);
    expect(() => buildLedgerTransaction(unbalanced)).toThrow(/debits 100 do not equal credits 99/);
    try {
      buildLedgerTransaction(unbalanced);
    } catch (error) {
      expect((error as SoukError).code).toBe("PAYMENTS_LEDGER_UNBALANCED");
    }
  });

  it("refuses fewer than two entries, non-positive or fractional amounts, and a bad currency", () => {
    expect(imbalanceOf([])).toMatch(/at least two entries/);
    expect(imbalanceOf([{ account: "psp_receivable", direction: "debit", amountMinor: 1 }])).toMatch(/at least two/);
    expect(
      imbalanceOf([
        { account: "psp_receivable", direction: "debit", amountMinor: 0 },
        { account: "sales_revenue", direction: "credit", amountMinor: 0 },
      ]),
    ).toMatch(/positive integers/);
    expect(
      imbalanceOf([
        { account: "psp_receivable", direction: "debit", amountMinor: 1.5 },
        { account: "sales_revenue", direction: "credit", amountMinor: 1.5 },
      ]),
    ).toMatch(/positive integers/);
    expect(() => paymentPosting("authorize", "p-1", { amountMinor: -5, currency: "USD" }, "t", at)).toThrow(
      /positive integers/,
    );
    expect(() => paymentPosting("authorize", "p-1", { amountMinor: 5, currency: "usd" }, "t", at)).toThrow(/ISO 4217/);
  });
});
