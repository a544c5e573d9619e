import { createHash, createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Clock, IdGenerator } from "@souk/platform";
import type { AuthorizationResult, PaymentProvider } from "../domain/payment-provider.ts";
import { simulatedBehaviour, type SimulatedBehaviour } from "./test-cards.ts";

/**
 * The simulator's own storage (it plays the PSP, whose vault outlives our process):
 * provider token → behaviour. Never holds a card number.
 */
export interface SimulatorVault {
  /** Stores the behaviour of a new token. */
  save(token: string, behaviour: SimulatedBehaviour, at: Date): Promise<void>;
  /** The behaviour of `token`, or undefined when the vault never issued it. */
  find(token: string): Promise<SimulatedBehaviour | undefined>;
}

/** What the card simulator needs. */
export interface CardSimulatorOptions {
  readonly vault: SimulatorVault;
  /** HMAC key of card fingerprints (PAYMENTS_FINGERPRINT_KEY). */
  readonly fingerprintKey: string;
  /** Artificial latency before answering `authorize`, in milliseconds (0 = none). */
  readonly latencyMs: number;
  readonly newId: IdGenerator;
  readonly clock: Clock;
}

/** HMAC-SHA256 of the card number (digits only) under `key`, lowercase hex: same card → same fingerprint. */
export function cardFingerprint(key: string, digits: string): string {
  return createHmac("sha256", key).update(digits).digest("hex");
}

/** A provider id derived from an idempotency key, so a repeated call answers the same id. */
function idFor(prefix: string, idempotencyKey: string): string {
  return `${prefix}_${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 24)}`;
}

function assertIssued(authorizationId: string): void {
  if (!/^auth_sim_[0-9a-f]{24}$/.test(authorizationId)) {
    throw new Error("the card simulator never issued this authorization");
  }
}

const DECLINES: Record<Exclude<SimulatedBehaviour, "approve">, AuthorizationResult> = {
  card_declined: { outcome: "declined", code: "card_declined", riskLevel: "normal" },
  insufficient_funds: { outcome: "declined", code: "insufficient_funds", riskLevel: "normal" },
  fraudulent: { outcome: "declined", code: "fraudulent", riskLevel: "highest" },
  processing_error: { outcome: "declined", code: "processing_error" },
};

/**
 * The built-in PSP: a deterministic card simulator that answers like Stripe does for its test
 * cards (see `TEST_CARDS`) and approves any other valid card. Idempotent the way a PSP is:
 * an authorization's id derives from its idempotency key and a token's behaviour never
 * changes, so a repeated call answers the same. Capture, void and refund of an authorization
 * it issued always succeed.
 *
 * @throws Error for a token or authorization it never issued (a programming or data error).
 */
export function createCardSimulator(options: CardSimulatorOptions): PaymentProvider {
  return {
    async createPaymentMethod(card) {
      const providerToken = `tok_sim_${options.newId().replaceAll("-", "")}`;
      await options.vault.save(providerToken, simulatedBehaviour(card.number), options.clock());
      return {
        providerToken,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.expMonth,
        expYear: card.expYear,
        fingerprint: cardFingerprint(options.fingerprintKey, card.number),
      };
    },

    async authorize(providerToken, _amount, idempotencyKey) {
      if (options.latencyMs > 0) await sleep(options.latencyMs);
      const behaviour = await options.vault.find(providerToken);
      if (behaviour === undefined) throw new Error("the card simulator never issued this token");
      if (behaviour !== "approve") return DECLINES[behaviour];
      return { outcome: "approved", authorizationId: idFor("auth_sim", idempotencyKey), riskLevel: "normal" };
    },

    async capture(authorizationId) {
      assertIssued(authorizationId);
    },
    async void(authorizationId) {
      assertIssued(authorizationId);
    },
    async refund(authorizationId) {
      assertIssued(authorizationId);
    },
  };
}
