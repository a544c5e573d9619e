import type { CardBrand } from "./card.ts";

/**
 * A tokenized card of one user. Holds no card number: only what the provider returned —
 * its token, the brand, the last four digits, the expiry, and a keyed fingerprint
 * (HMAC-SHA256 of the number) that identifies the same card across users without revealing it.
 */
export interface PaymentMethod {
  /** UUIDv7. */
  readonly id: string;
  readonly userId: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** 64 lowercase hex characters. */
  readonly fingerprint: string;
  /** The provider's handle on the card (e.g. `tok_sim_…`); meaningless outside the provider. */
  readonly providerToken: string;
}

/** Store port of payment methods; implemented in `store/`. */
export interface PaymentMethodStore {
  /** Saves a new payment method. */
  insert(method: PaymentMethod): Promise<void>;
  /** The payment method with `id`, or undefined. */
  find(id: string): Promise<PaymentMethod | undefined>;
}

/** True when `value` looks like a card fingerprint (64 lowercase hex characters). */
export function isFingerprint(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
