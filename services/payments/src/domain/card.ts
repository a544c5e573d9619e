import { invalidArgument, type FieldViolation } from "@souk/platform";

/** Card networks Souk recognizes from the issuer identification number (IIN). */
export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "unknown";

/** A card as the client sends it. The number may contain spaces or dashes; nothing is trusted yet. */
export interface CardInput {
  readonly number: string;
  /** 1..12. */
  readonly expMonth: number;
  /** Four-digit year, e.g. 2030. */
  readonly expYear: number;
  readonly cvc: string;
}

/**
 * A card that passed `validateCard`: `number` holds digits only. It exists only in memory,
 * between the request and the provider: it is never stored, logged or returned.
 */
export interface ValidCard {
  readonly number: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
}

/** Fewest digits of a primary account number Souk accepts (the shortest PANs in use have 12). */
export const PAN_MIN_DIGITS = 12;
/** Most digits of a primary account number (ISO/IEC 7812-1 allows up to 19). */
export const PAN_MAX_DIGITS = 19;

/** How far ahead an expiry year may lie; anything later is a typo, not a card. */
export const MAX_EXPIRY_YEARS_AHEAD = 50;

/** The number without the spaces and dashes people type between digit groups. */
export function normalizeCardNumber(number: string): string {
  return number.replace(/[\s-]/g, "");
}

/**
 * The Luhn (mod 10) check of ISO/IEC 7812-1, Annex B: from the rightmost digit, double every
 * second digit (subtracting 9 when the double exceeds 9); the sum must be a multiple of 10.
 * False for an empty string or anything but ASCII digits.
 */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * The card network from the leading digits (IIN ranges as the networks publish them):
 * Visa 4; Mastercard 51–55 and 2221–2720; American Express 34 and 37; Discover 6011,
 * 622126–622925 (co-branded), 644–649 and 65. Anything else is "unknown".
 */
export function cardBrand(digits: string): CardBrand {
  const prefix = (length: number): number => Number(digits.slice(0, length));
  if (digits.startsWith("4")) return "visa";
  if (digits.length >= 2 && prefix(2) >= 51 && prefix(2) <= 55) return "mastercard";
  if (digits.length >= 4 && prefix(4) >= 2221 && prefix(4) <= 2720) return "mastercard";
  if (digits.startsWith("34") || digits.startsWith("37")) return "amex";
  if (digits.startsWith("6011") || digits.startsWith("65")) return "discover";
  if (digits.length >= 3 && prefix(3) >= 644 && prefix(3) <= 649) return "discover";
  if (digits.length >= 6 && prefix(6) >= 622126 && prefix(6) <= 622925) return "discover";
  return "unknown";
}

/**
 * The first instant at which a card expiring `expMonth`/`expYear` is no longer valid: cards
 * are good through the last day of their expiry month, so this is 00:00 UTC on the first day
 * of the following month.
 */
export function expiryInstant(expMonth: number, expYear: number): Date {
  return new Date(Date.UTC(expYear, expMonth, 1));
}

/** True when a card expiring `expMonth`/`expYear` can no longer be charged at `now`. */
export function isCardExpired(expMonth: number, expYear: number, now: Date): boolean {
  return now.getTime() >= expiryInstant(expMonth, expYear).getTime();
}

/** CVC lengths a brand accepts: four digits on American Express, three on the others, either when unknown. */
export function cvcLengths(brand: CardBrand): readonly number[] {
  if (brand === "amex") return [4];
  if (brand === "unknown") return [3, 4];
  return [3];
}

function numberViolation(digits: string): string | undefined {
  if (digits === "") return "is required";
  if (!/^\d+$/.test(digits)) return "must contain only digits, spaces or dashes";
  if (digits.length < PAN_MIN_DIGITS || digits.length > PAN_MAX_DIGITS) {
    return `must have ${PAN_MIN_DIGITS} to ${PAN_MAX_DIGITS} digits`;
  }
  if (!isLuhnValid(digits)) return "is not a valid card number";
  return undefined;
}

/**
 * Validates a card at `now` and returns it normalized (digits only, with its brand and last4).
 * Rules: the number is 12..19 digits once spaces and dashes are removed and passes the Luhn
 * check; `expMonth` is 1..12; `expYear` is a four-digit year at most 50 years ahead; the card
 * has not expired (good through the end of its expiry month, UTC); the CVC is 3 digits (4 on
 * American Express, either on an unknown brand).
 *
 * @throws SoukError invalid_argument PAYMENTS_INVALID_CARD naming every bad field among
 *   `card.number`, `card.exp_month`, `card.exp_year`, `card.cvc`. Messages never echo the number.
 */
export function validateCard(card: CardInput, now: Date): ValidCard {
  const violations: FieldViolation[] = [];
  const digits = normalizeCardNumber(card.number);
  const numberProblem = numberViolation(digits);
  if (numberProblem !== undefined) violations.push({ field: "card.number", message: numberProblem });

  const monthValid = Number.isInteger(card.expMonth) && card.expMonth >= 1 && card.expMonth <= 12;
  if (!monthValid) violations.push({ field: "card.exp_month", message: "must be a month from 1 to 12" });
  const currentYear = now.getUTCFullYear();
  const yearValid =
    Number.isInteger(card.expYear) && card.expYear >= 1000 && card.expYear <= currentYear + MAX_EXPIRY_YEARS_AHEAD;
  if (!yearValid) {
    violations.push({
      field: "card.exp_year",
      message: `must be a four-digit year no later than ${currentYear + MAX_EXPIRY_YEARS_AHEAD}`,
    });
  } else if (card.expYear < currentYear) {
    violations.push({ field: "card.exp_year", message: "the card has expired" });
  } else if (monthValid && isCardExpired(card.expMonth, card.expYear, now)) {
    violations.push({ field: "card.exp_month", message: "the card has expired" });
  }

  const brand = numberProblem === undefined ? cardBrand(digits) : "unknown";
  const lengths = cvcLengths(brand);
  if (!/^\d+$/.test(card.cvc) || !lengths.includes(card.cvc.length)) {
    violations.push({ field: "card.cvc", message: `must be ${lengths.join(" or ")} digits` });
  }

  if (violations.length > 0) throw invalidArgument("PAYMENTS_INVALID_CARD", "the card is invalid", violations);
  return {
    number: digits,
    brand,
    last4: digits.slice(-4),
    expMonth: card.expMonth,
    expYear: card.expYear,
    cvc: card.cvc,
  };
}
