import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./seeded-random.ts";
import { cardForCustomer, chooseTestCard, TEST_CARD_MIX, type CardBehaviour } from "./test-cards.ts";

const DRAWS = 10_000;

function shares(behaviours: CardBehaviour[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of behaviours) counts[b] = (counts[b] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([b, n]) => [b, n / behaviours.length]));
}

function expectShapedLikeTheMix(observed: Record<string, number>): void {
  const total = TEST_CARD_MIX.reduce((sum, option) => sum + option.weight, 0);
  for (const { value, weight } of TEST_CARD_MIX) {
    // ±2 percentage points is over 4 standard deviations for 10,000 draws.
    expect(Math.abs((observed[value.behaviour] ?? 0) - weight / total)).toBeLessThan(0.02);
  }
}

describe("chooseTestCard", () => {
  it("draws the same sequence from the same seed, and another from another seed", () => {
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 200 }, () => chooseTestCard(random).number);
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
  });

  it("follows the weights over 10,000 draws (success ~70 %)", () => {
    const random = createSeededRandom(1);
    const observed = shares(Array.from({ length: DRAWS }, () => chooseTestCard(random).behaviour));
    expectShapedLikeTheMix(observed);
    expect(observed.success).toBeGreaterThan(0.68);
    expect(observed.success).toBeLessThan(0.72);
  });

  it("uses Stripe's test card numbers", () => {
    expect(Object.fromEntries(TEST_CARD_MIX.map(({ value }) => [value.behaviour, value.number]))).toEqual({
      success: "4242424242424242",
      declined: "4000000000000002",
      insufficient_funds: "4000000000009995",
      fraud: "4100000000000019",
      processing_error: "4000000000000119",
    });
  });
});

describe("cardForCustomer", () => {
  it("depends only on (seed, customer)", () => {
    const cards = (seed: number) => Array.from({ length: 100 }, (_, i) => cardForCustomer(seed, i).number);
    expect(cards(7)).toEqual(cards(7));
    expect(cards(8)).not.toEqual(cards(7));
    expect(cardForCustomer(7, 42)).toEqual(cardForCustomer(7, 42));
  });

  it("follows the weights across 10,000 customers", () => {
    expectShapedLikeTheMix(shares(Array.from({ length: DRAWS }, (_, i) => cardForCustomer(1, i).behaviour)));
  });
});
