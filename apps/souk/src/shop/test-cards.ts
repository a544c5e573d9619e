// The Stripe test cards the shop pays with, and the weighted mix it draws them from.
import { createSeededRandom, deriveSeed, pickWeighted, type SeededRandom, type Weighted } from "./seeded-random.ts";

/** What the store's card simulator is expected to do with a card (Stripe's test-card semantics). */
export type CardBehaviour = "success" | "declined" | "insufficient_funds" | "fraud" | "processing_error";

/** A test card: its number and the outcome it asks the payment simulator for. */
export interface TestCard {
  readonly behaviour: CardBehaviour;
  readonly number: string;
}

/**
 * The mix of cards customers pay with: about 70 % succeed, the rest exercise each failure path
 * of the checkout saga. Numbers are Stripe's documented test cards
 * (https://docs.stripe.com/testing#declined-payments).
 */
export const TEST_CARD_MIX: readonly Weighted<TestCard>[] = [
  { weight: 70, value: { behaviour: "success", number: "4242424242424242" } },
  { weight: 9, value: { behaviour: "declined", number: "4000000000000002" } },
  { weight: 8, value: { behaviour: "insufficient_funds", number: "4000000000009995" } },
  { weight: 7, value: { behaviour: "fraud", number: "4100000000000019" } },
  { weight: 6, value: { behaviour: "processing_error", number: "4000000000000119" } },
];

/** Draws one card from `TEST_CARD_MIX`; the same random stream gives the same sequence of cards. */
export function chooseTestCard(random: SeededRandom): TestCard {
  return pickWeighted(random, TEST_CARD_MIX);
}

/**
 * The card customer number `customer` pays with in a run seeded `seed`. It is drawn from its own
 * stream, so it depends only on (seed, customer) — not on the catalog, timing or concurrency.
 */
export function cardForCustomer(seed: number, customer: number): TestCard {
  return chooseTestCard(createSeededRandom(deriveSeed(seed, 2 * customer + 1)));
}
