import { describe, expect, it } from "vitest";
import { isLuhnValid } from "../domain/card.ts";
import { cardFingerprint } from "./card-simulator.provider.ts";
import { simulatedBehaviour, TEST_CARDS } from "./test-cards.ts";

describe("card simulator", () => {
  it("knows Stripe's five test cards (all Luhn-valid) and approves any other card", () => {
    expect(simulatedBehaviour("4242424242424242")).toBe("approve");
    expect(simulatedBehaviour("4000000000000002")).toBe("card_declined");
    expect(simulatedBehaviour("4000000000009995")).toBe("insufficient_funds");
    expect(simulatedBehaviour("4100000000000019")).toBe("fraudulent");
    expect(simulatedBehaviour("4000000000000119")).toBe("processing_error");
    expect(simulatedBehaviour("5555555555554444")).toBe("approve");
    expect(Object.keys(TEST_CARDS).every(isLuhnValid)).toBe(true);
  });

  it("fingerprints a card with HMAC-SHA256 under the key: stable, keyed, and not the number", () => {
    const a = cardFingerprint("key-one-0123456789", "4242424242424242");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(cardFingerprint("key-one-0123456789", "4242424242424242")).toBe(a);
    expect(cardFingerprint("key-two-0123456789", "4242424242424242")).not.toBe(a);
    expect(cardFingerprint("key-one-0123456789", "5555555555554444")).not.toBe(a);
    // RFC 4231-style known answer: HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog").
    expect(cardFingerprint("key", "The quick brown fox jumps over the lazy dog")).toBe(
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
    );
  });
});
