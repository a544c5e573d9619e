import type { Money } from "@souk/platform";

/** The states a payment moves through, as the payments topic announces them. */
export type PaymentKind = "authorized" | "captured" | "voided" | "refunded" | "failed";

/** Every payment kind, in lifecycle order (for stable listings). */
export const PAYMENT_KINDS: readonly PaymentKind[] = ["authorized", "captured", "voided", "refunded", "failed"];

/**
 * What one payment event says, decoded from its Protobuf payload (events/ maps it). Analytics
 * counts each (payment, kind) once — a payment is authorized, captured, voided, refunded or fails
 * at most once in Souk — so a second event for the same pair (a logical duplicate) moves nothing.
 */
export interface PaymentEvent {
  readonly paymentId: string;
  readonly orderId: string;
  readonly kind: PaymentKind;
  readonly amount: Money;
  /** Why an authorization failed (`card_declined`, `fraudulent`…); empty otherwise. */
  readonly failureCode: string;
  /** When the payment changed state. */
  readonly at: Date;
}
