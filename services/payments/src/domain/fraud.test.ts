import { describe, expect, it } from "vitest";
import { fraudFailureCode, screenBeforeProvider, screenProviderResult, type FraudPolicy } from "./fraud.ts";

const policy: FraudPolicy = { maxAmountMinor: 500_000, velocityMax: 10, velocityWindowMs: 600_000 };
const clean = { amountMinor: 1_999, attemptsInWindow: 1, cardBlocked: false };

describe("fraud rules before the provider", () => {
  it("passes a clean attempt and records a decision for every rule", () => {
    const screening = screenBeforeProvider(clean, policy);
    expect(screening.blockedBy).toBeUndefined();
    expect(screening.decisions.map((d) => [d.rule, d.outcome])).toEqual([
      ["amount_threshold", "pass"],
      ["velocity", "pass"],
      ["blocked_card", "pass"],
    ]);
  });

  it("amount threshold: the maximum passes, one minor unit more is blocked", () => {
    expect(screenBeforeProvider({ ...clean, amountMinor: 500_000 }, policy).blockedBy).toBeUndefined();
    const blocked = screenBeforeProvider({ ...clean, amountMinor: 500_001 }, policy);
    expect(blocked.blockedBy).toBe("amount_threshold");
    expect(blocked.decisions[0]).toEqual({
      rule: "amount_threshold",
      outcome: "block",
      details: { amountMinor: 500_001, maxAmountMinor: 500_000 },
    });
    expect(fraudFailureCode("amount_threshold")).toBe("fraud_amount_threshold");
  });

  it("velocity: the tenth attempt in the window passes, the eleventh is blocked", () => {
    expect(screenBeforeProvider({ ...clean, attemptsInWindow: 10 }, policy).blockedBy).toBeUndefined();
    const blocked = screenBeforeProvider({ ...clean, attemptsInWindow: 11 }, policy);
    expect(blocked.blockedBy).toBe("velocity");
    expect(blocked.decisions[1]?.details).toEqual({ attemptsInWindow: 11, velocityMax: 10, windowMs: 600_000 });
    expect(fraudFailureCode("velocity")).toBe("fraud_velocity");
  });

  it("blocked card: a fingerprint on the block list is blocked", () => {
    expect(screenBeforeProvider({ ...clean, cardBlocked: true }, policy).blockedBy).toBe("blocked_card");
    expect(fraudFailureCode("blocked_card")).toBe("fraud_blocked_card");
  });

  it("evaluates every rule but the first blocking one decides", () => {
    const screening = screenBeforeProvider({ amountMinor: 900_000, attemptsInWindow: 99, cardBlocked: true }, policy);
    expect(screening.blockedBy).toBe("amount_threshold");
    expect(screening.decisions.every((d) => d.outcome === "block")).toBe(true);
    expect(screenBeforeProvider({ ...clean, attemptsInWindow: 99, cardBlocked: true }, policy).blockedBy).toBe(
      "velocity",
    );
  });
});

describe("the provider's risk", () => {
  it("blocks a fraudulent decline and a highest-risk approval", () => {
    expect(screenProviderResult({ outcome: "declined", code: "fraudulent", riskLevel: "highest" }).blockedBy).toBe(
      "provider_risk",
    );
    const approvedButRisky = screenProviderResult({ outcome: "approved", authorizationId: "a", riskLevel: "highest" });
    expect(approvedButRisky.blockedBy).toBe("provider_risk");
    expect(approvedButRisky.decisions).toEqual([
      {
        rule: "provider_risk",
        outcome: "block",
        details: { providerOutcome: "approved", riskLevel: "highest", declineCode: null },
      },
    ]);
    expect(fraudFailureCode("provider_risk")).toBe("fraudulent");
  });

  it("passes elevated risk and ordinary declines (they fail for their own reason)", () => {
    expect(
      screenProviderResult({ outcome: "approved", authorizationId: "a", riskLevel: "elevated" }).blockedBy,
    ).toBeUndefined();
    expect(screenProviderResult({ outcome: "declined", code: "insufficient_funds" }).decisions[0]).toEqual({
      rule: "provider_risk",
      outcome: "pass",
      details: { providerOutcome: "declined", riskLevel: null, declineCode: "insufficient_funds" },
    });
  });
});
