// What customers type into the search box: common shop words, words from products they saw, and typos.
import type { SeededRandom } from "./seeded-random.ts";

/** Everyday search words of a general online store. */
export const SEARCH_WORDS: readonly string[] = [
  "headphones",
  "coffee",
  "jacket",
  "lamp",
  "backpack",
  "wireless",
  "running shoes",
  "mug",
  "notebook",
  "water bottle",
  "keyboard",
  "t-shirt",
  "sunglasses",
  "desk",
  "candle",
  "charger",
  "tea",
  "leather wallet",
];

/** The longest word of 4+ letters in a product name, lower-cased; null when there is none. */
export function catalogWord(productName: string): string | null {
  const words = productName.toLowerCase().match(/\p{L}{4,}/gu) ?? [];
  return words.reduce<string | null>(
    (longest, word) => (longest === null || word.length > longest.length ? word : longest),
    null,
  );
}

/**
 * A plausible typo of `term`: one letter dropped, two neighbours swapped, or one doubled — the
 * slips a fuzzy (trigram) search should forgive. Terms shorter than 4 characters come back unchanged.
 */
export function typoOf(term: string, random: SeededRandom): string {
  if (term.length < 4) return term;
  // Never touch the first letter: people rarely get it wrong, and it keeps the typo recognisable.
  const at = random.integer(1, term.length - 2);
  const chars = [...term];
  switch (random.integer(0, 2)) {
    case 0:
      chars.splice(at, 1);
      break;
    case 1:
      [chars[at], chars[at + 1]] = [chars[at + 1] ?? "", chars[at] ?? ""];
      break;
    default:
      chars.splice(at, 0, chars[at] ?? "");
  }
  const typo = chars.join("");
  // Swapping two equal letters changes nothing; drop one instead.
  return typo === term ? term.slice(0, at) + term.slice(at + 1) : typo;
}
