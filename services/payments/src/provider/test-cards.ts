/**
 * How the card simulator answers an authorization for a card. Stored in the simulator's vault
 * per token (never the number), so the answer survives a restart.
 */
export type SimulatedBehaviour = "approve" | "card_declined" | "insufficient_funds" | "fraudulent" | "processing_error";

/**
 * Stripe's test card numbers and what each does (https://docs.stripe.com/testing, sections
 * "Declined payments" and "Fraud prevention"). Any other Luhn-valid number is approved.
 */
export const TEST_CARDS: Readonly<Record<string, SimulatedBehaviour>> = {
  /** Visa: succeeds. */
  "4242424242424242": "approve",
  /** Generic decline: `card_declined`. */
  "4000000000000002": "card_declined",
  /** Decline with code `insufficient_funds`. */
  "4000000000009995": "insufficient_funds",
  /** "Always blocked": risk level `highest`, decline code `fraudulent`. */
  "4100000000000019": "fraudulent",
  /** Decline with code `processing_error`. */
  "4000000000000119": "processing_error",
};

/** The simulated behaviour of a card number (digits only). */
export function simulatedBehaviour(digits: string): SimulatedBehaviour {
  return TEST_CARDS[digits] ?? "approve";
}
