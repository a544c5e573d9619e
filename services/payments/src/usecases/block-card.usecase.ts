import { invalidArgument, type Clock, type FieldViolation } from "@souk/platform";
import type { BlockedCardStore } from "../domain/fraud.ts";
import { isFingerprint } from "../domain/payment-method.ts";

/**
 * Puts a card on the block list by its fingerprint (an operator's decision, e.g. after a
 * chargeback): every later authorization with that card fails `fraud_blocked_card`, whichever
 * user holds it. Idempotent.
 * @throws SoukError invalid_argument PAYMENTS_INVALID_BLOCK naming `fingerprint` (not 64
 *   lowercase hex characters) and/or `reason` (empty).
 */
export function blockCard(deps: { blockedCards: BlockedCardStore; clock: Clock }) {
  return async (fingerprint: string, reason: string): Promise<void> => {
    const violations: FieldViolation[] = [];
    if (!isFingerprint(fingerprint)) {
      violations.push({ field: "fingerprint", message: "must be 64 lowercase hex characters" });
    }
    if (reason.trim() === "") violations.push({ field: "reason", message: "is required" });
    if (violations.length > 0) throw invalidArgument("PAYMENTS_INVALID_BLOCK", "invalid card block", violations);
    await deps.blockedCards.block(fingerprint, reason, deps.clock());
  };
}
