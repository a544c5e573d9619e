import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import {
  cardBrand,
  cvcLengths,
  expiryInstant,
  isCardExpired,
  isLuhnValid,
  normalizeCardNumber,
  validateCard,
} from "./card.ts";

const now = new Date("2026-03-15T12:00:00Z");
const card = (overrides: Partial<{ number: string; expMonth: number; expYear: number; cvc: string }> = {}) => ({
  number: "4242 4242 4242 4242",
  expMonth: 12,
  expYear: 2030,
  cvc: "123",
  ...overrides,
});

function violations(fn: () => unknown): { code: string; fields: string[]; messages: string[] } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SoukError);
    const e = error as SoukError;
    expect(e.kind).toBe("invalid_argument");
    return { code: e.code, fields: e.fields.map((f) => f.field), messages: e.fields.map((f) => f.message) };
  }
  return expect.unreachable("the card was accepted");
}

describe("Luhn check (ISO/IEC 7812-1 Annex B)", () => {
  it("accepts Stripe's test numbers and well-known valid numbers", () => {
    for (const n of [
      "4242424242424242",
      "4000000000000002",
      "4000000000009995",
      "4100000000000019",
      "4000000000000119",
      "5555555555554444",
      "378282246310005",
      "6011111111111117",
      "79927398713",
    ]) {
      expect(isLuhnValid(n), n).toBe(true);
    }
  });

  it("refuses a single changed digit, swapped neighbours, and non-digits", () => {
    expect(isLuhnValid("4242424242424241")).toBe(false);
    expect(isLuhnValid("4242424242424224")).toBe(false);
    expect(isLuhnValid("79927398710")).toBe(false);
    expect(isLuhnValid("")).toBe(false);
    expect(isLuhnValid("4242a24242424242")).toBe(false);
  });
});

describe("brand from IIN ranges", () => {
  it.each([
    ["4242424242424242", "visa"],
    ["4100000000000019", "visa"],
    ["5105105105105100", "mastercard"],
    ["5555555555554444", "mastercard"],
    ["2221000000000009", "mastercard"],
    ["2720990000000000", "mastercard"],
    ["2220990000000000", "unknown"],
    ["2721000000000000", "unknown"],
    ["5000000000000000", "unknown"],
    ["5600000000000000", "unknown"],
    ["378282246310005", "amex"],
    ["371449635398431", "amex"],
    ["6011111111111117", "discover"],
    ["6445644564456445", "discover"],
    ["6500000000000002", "discover"],
    ["6221260000000000", "discover"],
    ["6229250000000000", "discover"],
    ["6221250000000000", "unknown"],
    ["3530111333300000", "unknown"],
  ])("%s is %s", (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });
});

describe("expiry (good through the end of the expiry month, UTC)", () => {
  it("expires at the first instant of the following month", () => {
    expect(expiryInstant(2, 2028).toISOString()).toBe("2028-03-01T00:00:00.000Z");
    expect(expiryInstant(12, 2029).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(isCardExpired(3, 2026, new Date("2026-03-31T23:59:59.999Z"))).toBe(false);
    expect(isCardExpired(3, 2026, new Date("2026-04-01T00:00:00.000Z"))).toBe(true);
  });

  it("accepts a card in its expiry month and refuses it the month after, with the injected clock", () => {
    expect(validateCard(card({ expMonth: 3, expYear: 2026 }), now).expMonth).toBe(3);
    expect(violations(() => validateCard(card({ expMonth: 2, expYear: 2026 }), now)).fields).toEqual([
      "card.exp_month",
    ]);
    expect(violations(() => validateCard(card({ expMonth: 12, expYear: 2025 }), now))).toMatchObject({
      fields: ["card.exp_year"],
      messages: ["the card has expired"],
    });
    const lastInstant = new Date("2026-03-31T23:59:59.999Z");
    expect(() => validateCard(card({ expMonth: 3, expYear: 2026 }), lastInstant)).not.toThrow();
    expect(() => validateCard(card({ expMonth: 3, expYear: 2026 }), new Date("2026-04-01T00:00:00Z"))).toThrow(
      /invalid/,
    );
  });

  it("refuses months outside 1..12, two-digit years and years far ahead", () => {
    expect(violations(() => validateCard(card({ expMonth: 0 }), now)).fields).toEqual(["card.exp_month"]);
    expect(violations(() => validateCard(card({ expMonth: 13 }), now)).fields).toEqual(["card.exp_month"]);
    expect(violations(() => validateCard(card({ expYear: 30 }), now)).fields).toEqual(["card.exp_year"]);
    expect(violations(() => validateCard(card({ expYear: 2077 }), now)).fields).toEqual(["card.exp_year"]);
    expect(validateCard(card({ expYear: 2076 }), now).expYear).toBe(2076);
  });
});

describe("card validation", () => {
  it("strips spaces and dashes and returns brand and last4", () => {
    expect(normalizeCardNumber(" 4242-4242 4242-4242 ")).toBe("4242424242424242");
    expect(validateCard(card({ number: "4242-4242-4242-4242" }), now)).toEqual({
      number: "4242424242424242",
      brand: "visa",
      last4: "4242",
      expMonth: 12,
      expYear: 2030,
      cvc: "123",
    });
  });

  it("refuses letters, wrong lengths and a failed Luhn check without echoing the number", () => {
    for (const number of ["4242x42424242424", "42424242424", "42424242424242424242", "4242424242424241", ""]) {
      const v = violations(() => validateCard(card({ number }), now));
      expect(v.code).toBe("PAYMENTS_INVALID_CARD");
      expect(v.fields).toEqual(["card.number"]);
      expect(v.messages.join(" ")).not.toMatch(/\d{6}/);
    }
  });

  it("accepts 12 and 19 digit numbers that pass Luhn", () => {
    expect(validateCard(card({ number: "100000000008" }), now).last4).toBe("0008");
    expect(validateCard(card({ number: "4000000000000000006" }), now).brand).toBe("visa");
  });

  it("wants a 4-digit CVC on amex, 3 digits on the other brands, either on an unknown brand", () => {
    expect(cvcLengths("amex")).toEqual([4]);
    expect(validateCard(card({ number: "378282246310005", cvc: "1234" }), now).brand).toBe("amex");
    expect(violations(() => validateCard(card({ number: "378282246310005", cvc: "123" }), now)).fields).toEqual([
      "card.cvc",
    ]);
    expect(violations(() => validateCard(card({ cvc: "1234" }), now)).fields).toEqual(["card.cvc"]);
    expect(violations(() => validateCard(card({ cvc: "12a" }), now)).fields).toEqual(["card.cvc"]);
    expect(validateCard(card({ number: "100000000008", cvc: "1234" }), now).brand).toBe("unknown");
    expect(validateCard(card({ number: "100000000008", cvc: "123" }), now).brand).toBe("unknown");
  });

  it("names every bad field in one error", () => {
    expect(violations(() => validateCard({ number: "1234", expMonth: 0, expYear: 1999, cvc: "" }, now))).toMatchObject({
      code: "PAYMENTS_INVALID_CARD",
      fields: ["card.number", "card.exp_month", "card.exp_year", "card.cvc"],
    });
  });
});
