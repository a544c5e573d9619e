import { conflict, failedPrecondition, invalidArgument, type FieldViolation, type Money } from "@souk/platform";
import { fraudFailureCode, type FraudDecision, type FraudFailureCode, type FraudScreening } from "./fraud.ts";
import type { LedgerTransaction } from "./ledger.ts";
import type { AuthorizationResult, ProviderDeclineCode, RiskLevel } from "./payment-provider.ts";

/**
 * Lifecycle of a payment:
 * PENDING (claimed, authorization in flight) → AUTHORIZED | FAILED;
 * AUTHORIZED → CAPTURED → REFUNDED; AUTHORIZED → VOIDED.
 * PENDING is internal: the wire reports it as PAYMENT_STATUS_UNSPECIFIED.
 */
export type PaymentStatus = "PENDING" | "AUTHORIZED" | "CAPTURED" | "VOIDED" | "REFUNDED" | "FAILED";

/** Why a payment is FAILED: a provider decline code or a fraud rule's code. */
export type FailureCode = ProviderDeclineCode | FraudFailureCode;

/** The payment of one order. */
export interface Payment {
  /** UUIDv7; also the provider idempotency key of the authorization. */
  readonly id: string;
  readonly orderId: string;
  readonly userId: string;
  readonly paymentMethodId: string;
  readonly amount: Money;
  readonly status: PaymentStatus;
  /** Set when FAILED. */
  readonly failureCode: FailureCode | undefined;
  /** The provider's authorization, set once approved. */
  readonly authorizationId: string | undefined;
  /** The provider's risk assessment, when it gave one. */
  readonly riskLevel: RiskLevel | undefined;
  /** While PENDING: until when the driver that claimed it owns the authorization. */
  readonly leaseUntil: Date;
}

/**
 * How long the caller that claimed a payment owns its authorization. A PENDING payment whose
 * lease has run out was abandoned (its process died) and may be taken over; the provider call
 * is idempotent per payment id, so a takeover never authorizes twice. Well above any sane PSP
 * latency.
 */
export const AUTHORIZATION_LEASE_MS = 30_000;

/** An authorization request as the use case receives it (decoded, not yet validated). */
export interface AuthorizationRequest {
  readonly orderId: string;
  readonly userId: string;
  readonly paymentMethodId: string;
  /** Undefined when the caller sent none. */
  readonly amount: Money | undefined;
}

/**
 * Validates an authorization request: ids present, amount a positive integer of minor units
 * in an ISO 4217 currency (three capital letters).
 * @throws SoukError invalid_argument PAYMENTS_INVALID_REQUEST naming every bad field among
 *   `order_id`, `user_id`, `payment_method_id`, `amount`, `amount.amount_minor`, `amount.currency`.
 */
export function validateAuthorizationRequest(request: AuthorizationRequest): AuthorizationRequest & { amount: Money } {
  const violations: FieldViolation[] = [];
  if (request.orderId.trim() === "") violations.push({ field: "order_id", message: "is required" });
  if (request.userId.trim() === "") violations.push({ field: "user_id", message: "is required" });
  if (request.paymentMethodId.trim() === "") violations.push({ field: "payment_method_id", message: "is required" });
  const amount = request.amount;
  if (amount === undefined) {
    violations.push({ field: "amount", message: "is required" });
  } else {
    if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor <= 0) {
      violations.push({ field: "amount.amount_minor", message: "must be a positive integer of minor units" });
    }
    if (!/^[A-Z]{3}$/.test(amount.currency)) {
      violations.push({ field: "amount.currency", message: "must be an ISO 4217 code such as USD" });
    }
  }
  if (violations.length > 0 || amount === undefined) {
    throw invalidArgument("PAYMENTS_INVALID_REQUEST", "invalid authorization request", violations);
  }
  return { ...request, amount };
}

/**
 * Checks that a repeated authorization for an order asks for what the stored payment holds
 * (same user, payment method and amount), so an idempotent replay returns it.
 * @throws SoukError conflict PAYMENTS_IDEMPOTENCY_MISMATCH when the order already has a
 *   payment with different details.
 */
export function assertSameAuthorization(payment: Payment, request: AuthorizationRequest & { amount: Money }): void {
  const same =
    payment.userId === request.userId &&
    payment.paymentMethodId === request.paymentMethodId &&
    payment.amount.amountMinor === request.amount.amountMinor &&
    payment.amount.currency === request.amount.currency;
  if (!same) {
    throw conflict(
      "PAYMENTS_IDEMPOTENCY_MISMATCH",
      `order ${payment.orderId} already has a payment with different details`,
    );
  }
}

/** How an authorization ended, decided from the fraud screening and the provider's answer. */
export type AuthorizationOutcome =
  | { readonly status: "AUTHORIZED"; readonly authorizationId: string; readonly riskLevel: RiskLevel }
  | {
      readonly status: "FAILED";
      readonly failureCode: FailureCode;
      readonly riskLevel: RiskLevel | undefined;
    };

/**
 * The outcome of an attempt blocked before the provider was called.
 * @param screening the pre-provider screening, whose `blockedBy` is set.
 */
export function blockedOutcome(screening: FraudScreening): AuthorizationOutcome | undefined {
  if (screening.blockedBy === undefined) return undefined;
  return { status: "FAILED", failureCode: fraudFailureCode(screening.blockedBy), riskLevel: undefined };
}

/**
 * The outcome of the provider's answer once `screenProviderResult` judged it: fraud → FAILED
 * `fraudulent` (even when the provider approved: the caller must void that hold); another
 * decline → FAILED with the decline code; otherwise AUTHORIZED.
 */
export function providerOutcome(result: AuthorizationResult, screening: FraudScreening): AuthorizationOutcome {
  if (screening.blockedBy !== undefined) {
    return { status: "FAILED", failureCode: fraudFailureCode(screening.blockedBy), riskLevel: result.riskLevel };
  }
  if (result.outcome === "declined") return { status: "FAILED", failureCode: result.code, riskLevel: result.riskLevel };
  return { status: "AUTHORIZED", authorizationId: result.authorizationId, riskLevel: result.riskLevel };
}

/** What the store writes, in one transaction, when an authorization ends. */
export interface AuthorizationCompletion {
  readonly paymentId: string;
  readonly outcome: AuthorizationOutcome;
  /** Every fraud decision taken for the attempt. */
  readonly decisions: readonly FraudDecision[];
  /** The hold's posting, when AUTHORIZED. */
  readonly posting: LedgerTransaction | undefined;
  readonly decidedAt: Date;
}

/**
 * What capturing means for a payment in its current state.
 * @returns "capture" to apply; "noop" when already captured (idempotent retry).
 * @throws SoukError failed_precondition PAYMENTS_NOT_CAPTURABLE from any other state.
 */
export function decideCapture(payment: Payment): "capture" | "noop" {
  if (payment.status === "AUTHORIZED") return "capture";
  if (payment.status === "CAPTURED") return "noop";
  throw failedPrecondition(
    "PAYMENTS_NOT_CAPTURABLE",
    `payment of order ${payment.orderId} is ${payment.status.toLowerCase()}, not authorized`,
  );
}

/**
 * What voiding means for a payment in its current state (saga compensation).
 * @returns "void" to apply; "noop" when there is nothing to release (FAILED or already VOIDED).
 * @throws SoukError failed_precondition PAYMENTS_NOT_VOIDABLE once money moved (CAPTURED, REFUNDED):
 *   that takes a refund.
 */
export function decideVoid(payment: Payment): "void" | "noop" {
  if (payment.status === "AUTHORIZED") return "void";
  if (payment.status === "FAILED" || payment.status === "VOIDED") return "noop";
  throw failedPrecondition(
    "PAYMENTS_NOT_VOIDABLE",
    `payment of order ${payment.orderId} is ${payment.status.toLowerCase()}; refund it instead`,
  );
}

/**
 * What refunding means for a payment in its current state (full amount only).
 * @returns "refund" to apply; "noop" when already refunded (idempotent retry).
 * @throws SoukError failed_precondition PAYMENTS_NOT_REFUNDABLE unless CAPTURED or REFUNDED.
 */
export function decideRefund(payment: Payment): "refund" | "noop" {
  if (payment.status === "CAPTURED") return "refund";
  if (payment.status === "REFUNDED") return "noop";
  throw failedPrecondition(
    "PAYMENTS_NOT_REFUNDABLE",
    `payment of order ${payment.orderId} is ${payment.status.toLowerCase()}, not captured`,
  );
}

/**
 * The provider authorization of a payment that has one (AUTHORIZED and later states).
 * @throws Error when it is missing — impossible past PENDING (a table constraint requires it).
 */
export function authorizationIdOf(payment: Payment): string {
  if (payment.authorizationId === undefined) {
    throw new Error(`payment ${payment.id} is ${payment.status} without a provider authorization`);
  }
  return payment.authorizationId;
}

/** A state change after authorization, and the ledger transaction it posts. */
export type PaymentMove =
  | { readonly from: "AUTHORIZED"; readonly to: "CAPTURED" }
  | { readonly from: "AUTHORIZED"; readonly to: "VOIDED" }
  | { readonly from: "CAPTURED"; readonly to: "REFUNDED" };

/** A new payment, claimed by the caller that creates it. */
export interface NewPayment {
  readonly id: string;
  readonly orderId: string;
  readonly userId: string;
  readonly paymentMethodId: string;
  readonly amount: Money;
  readonly leaseUntil: Date;
}

/** Store port of payments; implemented in `store/`. */
export interface PaymentStore {
  /**
   * Inserts `payment` as PENDING unless its order already has a payment (unique per order).
   * @returns `claimed: true` with the new payment, or `claimed: false` with the existing one.
   */
  claim(payment: NewPayment): Promise<{ claimed: boolean; payment: Payment }>;
  /** The payment of `orderId`, or undefined. */
  findByOrder(orderId: string): Promise<Payment | undefined>;
  /**
   * Takes over an abandoned authorization: compare-and-set of the lease of a PENDING payment
   * whose lease ended at or before `now`, to `leaseUntil`. True when this caller won it.
   */
  takeOver(paymentId: string, now: Date, leaseUntil: Date): Promise<boolean>;
  /** Ends the lease of a PENDING payment at `now`, so the next caller retries at once. */
  releaseLease(paymentId: string, now: Date): Promise<void>;
  /**
   * Ends an authorization in one transaction: PENDING → AUTHORIZED | FAILED (compare-and-set),
   * the fraud decisions, and the hold's ledger posting. Returns undefined when the payment was
   * no longer PENDING (another driver completed it first); nothing is then written.
   */
  completeAuthorization(completion: AuthorizationCompletion): Promise<Payment | undefined>;
  /**
   * Moves a payment `move.from` → `move.to` and writes `posting`, in one transaction
   * (compare-and-set on the status). Returns undefined when the payment was not in
   * `move.from` (someone else moved it first); nothing is then written.
   */
  transition(paymentId: string, move: PaymentMove, posting: LedgerTransaction): Promise<Payment | undefined>;
  /** Order ids of PENDING payments whose lease ended at or before `now`, at most `limit`. */
  findStalled(now: Date, limit: number): Promise<string[]>;
}
