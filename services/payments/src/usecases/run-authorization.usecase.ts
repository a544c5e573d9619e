import { unavailable, type Clock, type IdGenerator, type Logger } from "@souk/platform";
import {
  screenBeforeProvider,
  screenProviderResult,
  type BlockedCardStore,
  type FraudDecision,
  type FraudPolicy,
  type VelocityCounter,
} from "../domain/fraud.ts";
import { paymentPosting } from "../domain/ledger.ts";
import {
  blockedOutcome,
  providerOutcome,
  type AuthorizationOutcome,
  type Payment,
  type PaymentStore,
} from "../domain/payment.ts";
import type { PaymentMethod, PaymentMethodStore } from "../domain/payment-method.ts";
import type { PaymentProvider } from "../domain/payment-provider.ts";

/** What driving an authorization needs. */
export interface AuthorizationDeps {
  readonly payments: PaymentStore;
  readonly methods: PaymentMethodStore;
  readonly provider: PaymentProvider;
  readonly velocity: VelocityCounter;
  readonly blockedCards: BlockedCardStore;
  readonly policy: FraudPolicy;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly logger: Logger;
}

/**
 * Drives the authorization of a PENDING payment whose lease the caller holds, to its end:
 * records the attempt for velocity, runs the fraud rules (all recorded), and — when none
 * blocks — asks the provider with the payment id as idempotency key (so a retry or a takeover
 * never authorizes twice), judges its answer (a "highest" risk approval is voided at once),
 * then writes the outcome, the decisions and the hold's ledger posting in one transaction.
 * A decline is a normal outcome (FAILED with its code). `loaded` is the payment's method when the
 * caller read it already (its id must match the payment's), else it is read here.
 *
 * @returns the payment after the authorization (or as another driver completed it).
 * @throws SoukError unavailable PAYMENTS_PROVIDER_UNAVAILABLE when the provider failed, or
 *   PAYMENTS_VELOCITY_UNAVAILABLE when the velocity counter (Redis) could not be reached; either
 *   way the lease is released so the next caller retries at once.
 */
export function runAuthorization(deps: AuthorizationDeps) {
  return async (payment: Payment, loaded?: PaymentMethod): Promise<Payment> => {
    // The caller that just checked the method's owner passes it on; a takeover reads it again.
    const method = loaded?.id === payment.paymentMethodId ? loaded : await deps.methods.find(payment.paymentMethodId);
    if (method === undefined) throw new Error(`payment method of payment ${payment.id} is missing`);
    const attemptedAt = deps.clock();
    let attemptsInWindow: number;
    try {
      attemptsInWindow = await deps.velocity.recordAttempt(
        payment.userId,
        payment.id,
        attemptedAt,
        deps.policy.velocityWindowMs,
      );
    } catch (error) {
      // Nothing was asked of the provider yet: free the lease so that a retry runs at once.
      await deps.payments.releaseLease(payment.id, deps.clock());
      throw error;
    }
    const cardBlocked = await deps.blockedCards.isBlocked(method.fingerprint);
    const screening = screenBeforeProvider(
      { amountMinor: payment.amount.amountMinor, attemptsInWindow, cardBlocked },
      deps.policy,
    );
    const decisions: FraudDecision[] = [...screening.decisions];
    let outcome: AuthorizationOutcome | undefined = blockedOutcome(screening);
    if (outcome === undefined) {
      try {
        const result = await deps.provider.authorize(method.providerToken, payment.amount, payment.id);
        const risk = screenProviderResult(result);
        decisions.push(...risk.decisions);
        outcome = providerOutcome(result, risk);
        if (result.outcome === "approved" && outcome.status === "FAILED") {
          await deps.provider.void(result.authorizationId, `${payment.id}:void`);
        }
      } catch (error) {
        await deps.payments.releaseLease(payment.id, deps.clock());
        deps.logger.warn({ err: error, paymentId: payment.id }, "payment provider failed during authorization");
        throw unavailable("PAYMENTS_PROVIDER_UNAVAILABLE", "the payment provider is unavailable", error);
      }
    }
    const decidedAt = deps.clock();
    const completed = await deps.payments.completeAuthorization({
      paymentId: payment.id,
      outcome,
      decisions,
      posting:
        outcome.status === "AUTHORIZED"
          ? paymentPosting("authorize", payment.id, payment.amount, deps.newId(), decidedAt)
          : undefined,
      decidedAt,
    });
    if (completed === undefined) {
      // Another driver (a takeover) completed it first with the same provider answer.
      const current = await deps.payments.findByOrder(payment.orderId);
      if (current === undefined) throw new Error(`payment ${payment.id} vanished`);
      return current;
    }
    deps.logger.info(
      {
        paymentId: completed.id,
        orderId: completed.orderId,
        status: completed.status,
        failureCode: completed.failureCode,
        blockedBy: decisions.find((d) => d.outcome === "block")?.rule,
      },
      "authorization completed",
    );
    return completed;
  };
}
