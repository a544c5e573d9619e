import type { Money } from "@souk/platform";
import type { CardBrand, ValidCard } from "./card.ts";

/**
 * The provider's assessment of a charge, as Stripe Radar reports it
 * (https://docs.stripe.com/radar/risk-evaluation): "highest" is blocked as fraud.
 */
export type RiskLevel = "normal" | "elevated" | "highest";

/**
 * Why a provider declined an authorization, in Stripe's vocabulary
 * (https://docs.stripe.com/declines/codes). An adapter maps any other code of its PSP to
 * `card_declined`.
 */
export type ProviderDeclineCode = "card_declined" | "insufficient_funds" | "fraudulent" | "processing_error";

/** What the provider keeps of a card, and what it tells us about it. */
export interface TokenizedCard {
  readonly providerToken: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** HMAC-SHA256 of the card number under Souk's fingerprint key, lowercase hex. */
  readonly fingerprint: string;
}

/** The answer to an authorization: approved (funds held) or declined (nothing held). */
export type AuthorizationResult =
  | { readonly outcome: "approved"; readonly authorizationId: string; readonly riskLevel: RiskLevel }
  | { readonly outcome: "declined"; readonly code: ProviderDeclineCode; readonly riskLevel?: RiskLevel };

/**
 * Port to a payment service provider (PSP). Every money-moving call carries an idempotency
 * key: repeating a call with the same key must not move money twice and must answer the same
 * (the contract of Stripe's `Idempotency-Key`). A method throws only when the provider could
 * not be reached or answered nonsense; a decline is a normal result.
 */
export interface PaymentProvider {
  /** Vaults a card and returns its token and public details. The number goes no further. */
  createPaymentMethod(card: ValidCard): Promise<TokenizedCard>;
  /** Places a hold of `amount` on the card behind `providerToken`. */
  authorize(providerToken: string, amount: Money, idempotencyKey: string): Promise<AuthorizationResult>;
  /** Captures the full amount of an authorization. */
  capture(authorizationId: string, amount: Money, idempotencyKey: string): Promise<void>;
  /** Releases an authorization without capturing it. */
  void(authorizationId: string, idempotencyKey: string): Promise<void>;
  /** Refunds a captured authorization in full. */
  refund(authorizationId: string, amount: Money, idempotencyKey: string): Promise<void>;
}
