import type { AuthorizationResult } from "./payment-provider.ts";

/**
 * The fraud rules, in the order they are evaluated. The first three run before the provider
 * is called; `provider_risk` judges the provider's own answer.
 */
export type FraudRule = "amount_threshold" | "velocity" | "blocked_card" | "provider_risk";

/** The failure code a payment gets when a rule blocks it (`Payment.failure_code` on the wire). */
export type FraudFailureCode = "fraud_amount_threshold" | "fraud_velocity" | "fraud_blocked_card" | "fraudulent";

const FAILURE_CODE_OF: Record<FraudRule, FraudFailureCode> = {
  amount_threshold: "fraud_amount_threshold",
  velocity: "fraud_velocity",
  blocked_card: "fraud_blocked_card",
  provider_risk: "fraudulent",
};

/** The failure code of a payment blocked by `rule`. */
export function fraudFailureCode(rule: FraudRule): FraudFailureCode {
  return FAILURE_CODE_OF[rule];
}

/** One rule's verdict on one authorization attempt, with the numbers it was based on (recorded for audit). */
export interface FraudDecision {
  readonly rule: FraudRule;
  readonly outcome: "pass" | "block";
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** Thresholds of the pre-provider rules (from configuration). */
export interface FraudPolicy {
  /** Largest amount, in minor units, authorized without review (amounts above are blocked). */
  readonly maxAmountMinor: number;
  /** Most authorization attempts one user may make within `velocityWindowMs` (more are blocked). */
  readonly velocityMax: number;
  /** Length of the sliding velocity window, in milliseconds. */
  readonly velocityWindowMs: number;
}

/** What the pre-provider rules look at for one attempt. */
export interface FraudSignals {
  readonly amountMinor: number;
  /** The user's authorization attempts in the window ending now, this one included. */
  readonly attemptsInWindow: number;
  /** True when the card's fingerprint is on the block list. */
  readonly cardBlocked: boolean;
}

/** The verdict of a screening: every decision taken, and the rule that blocked (the first one), if any. */
export interface FraudScreening {
  readonly decisions: readonly FraudDecision[];
  readonly blockedBy: FraudRule | undefined;
}

/**
 * Runs the rules that precede the provider, all of them (so the audit trail is complete),
 * in order: (1) `amount_threshold` blocks an amount above `maxAmountMinor`; (2) `velocity`
 * blocks when the attempts in the window exceed `velocityMax`; (3) `blocked_card` blocks a
 * card whose fingerprint is on the block list. The first blocking rule decides the failure code.
 */
export function screenBeforeProvider(signals: FraudSignals, policy: FraudPolicy): FraudScreening {
  const decisions: FraudDecision[] = [
    {
      rule: "amount_threshold",
      outcome: signals.amountMinor > policy.maxAmountMinor ? "block" : "pass",
      details: { amountMinor: signals.amountMinor, maxAmountMinor: policy.maxAmountMinor },
    },
    {
      rule: "velocity",
      outcome: signals.attemptsInWindow > policy.velocityMax ? "block" : "pass",
      details: {
        attemptsInWindow: signals.attemptsInWindow,
        velocityMax: policy.velocityMax,
        windowMs: policy.velocityWindowMs,
      },
    },
    {
      rule: "blocked_card",
      outcome: signals.cardBlocked ? "block" : "pass",
      details: { cardBlocked: signals.cardBlocked },
    },
  ];
  return { decisions, blockedBy: decisions.find((d) => d.outcome === "block")?.rule };
}

/**
 * Judges the provider's answer: a decline with code `fraudulent`, or any answer with risk
 * level `highest`, is fraud (Stripe Radar blocks "highest" risk; https://docs.stripe.com/testing
 * card 4100000000000019). An approval judged fraudulent must be voided at the provider.
 */
export function screenProviderResult(result: AuthorizationResult): FraudScreening {
  const riskLevel = result.riskLevel ?? null;
  const declineCode = result.outcome === "declined" ? result.code : null;
  const block = declineCode === "fraudulent" || riskLevel === "highest";
  const decision: FraudDecision = {
    rule: "provider_risk",
    outcome: block ? "block" : "pass",
    details: { providerOutcome: result.outcome, riskLevel, declineCode },
  };
  return { decisions: [decision], blockedBy: block ? "provider_risk" : undefined };
}

/**
 * Port counting a user's authorization attempts in a sliding window. Implemented on PostgreSQL
 * (`store/fraud.store.ts`, embedded topology) and on a Redis sorted set per user
 * (`store/velocity.redis-store.ts`, distributed topology).
 */
export interface VelocityCounter {
  /**
   * Records attempt `attemptId` of `userId` at `at` (idempotent per attempt id: recording it
   * again changes nothing) and returns the number of the user's attempts in the window
   * `(at − windowMs, at]`, this one included.
   */
  recordAttempt(userId: string, attemptId: string, at: Date, windowMs: number): Promise<number>;
}

/** Store port of the card block list. */
export interface BlockedCardStore {
  /** True when the card with `fingerprint` is blocked. */
  isBlocked(fingerprint: string): Promise<boolean>;
  /** Adds a card to the block list (a no-op when it is already there). */
  block(fingerprint: string, reason: string, at: Date): Promise<void>;
}
