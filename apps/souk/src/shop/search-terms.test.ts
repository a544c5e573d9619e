import { describe, expect, it } from "vitest";
import { catalogWord, typoOf } from "./search-terms.ts";
import { createSeededRandom } from "./seeded-random.ts";

describe("typoOf", () => {
  it("changes the word by one slip and keeps its first letter", () => {
    const random = createSeededRandom(11);
    for (let i = 0; i < 500; i += 1) {
      const typo = typoOf("headphones", random);
      expect(typo).not.toBe("headphones");
      expect(Math.abs(typo.length - "headphones".length)).toBeLessThanOrEqual(1);
      expect(typo[0]).toBe("h");
    }
  });

  it("leaves short words alone", () => {
    expect(typoOf("tea", createSeededRandom(1))).toBe("tea");
  });
});

describe("catalogWord", () => {
  it("takes the longest word of four letters or more", () => {
    expect(catalogWord("Handwoven Berber Rug, 2x3 m")).toBe("handwoven");
    expect(catalogWord("Thé à la menthe")).toBe("menthe");
    expect(catalogWord("A 3 m")).toBeNull();
  });
});
