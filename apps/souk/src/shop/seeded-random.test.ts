import { describe, expect, it } from "vitest";
import { createSeededRandom, deriveSeed, pickWeighted } from "./seeded-random.ts";

describe("createSeededRandom", () => {
  it("stays in range", () => {
    const random = createSeededRandom(3);
    const floats = Array.from({ length: 1_000 }, () => random.next());
    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...floats)).toBeLessThan(1);
    const integers = new Set(Array.from({ length: 1_000 }, () => random.integer(2, 4)));
    expect([...integers].sort()).toEqual([2, 3, 4]);
  });

  it("samples distinct items, at most as many as there are", () => {
    const random = createSeededRandom(5);
    const sample = random.sample([1, 2, 3, 4, 5], 3);
    expect(new Set(sample).size).toBe(3);
    expect(random.sample([1, 2], 5).sort()).toEqual([1, 2]);
    expect(random.sample([], 2)).toEqual([]);
  });

  it("refuses to pick from nothing", () => {
    expect(() => createSeededRandom(1).pick([])).toThrow("non-empty");
    expect(() => pickWeighted(createSeededRandom(1), [{ value: "a", weight: 0 }])).toThrow("positive weight");
  });

  it("never picks a zero weight", () => {
    const random = createSeededRandom(9);
    const options = [
      { value: "never", weight: 0 },
      { value: "always", weight: 1 },
    ];
    const picks = new Set(Array.from({ length: 1_000 }, () => pickWeighted(random, options)));
    expect([...picks]).toEqual(["always"]);
  });
});

describe("deriveSeed", () => {
  it("gives distinct streams per index and per seed", () => {
    const seeds = new Set<number>();
    for (let seed = 0; seed < 10; seed += 1) for (let i = 0; i < 1_000; i += 1) seeds.add(deriveSeed(seed, i));
    expect(seeds.size).toBe(10_000);
  });
});
