// A small seeded pseudo-random generator, so a shop run with the same --seed makes the same choices.

/** A deterministic source of choices; every method draws from one seeded stream. */
export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  integer(min: number, max: number): number;
  /** True with probability `probability` (0..1). */
  chance(probability: number): boolean;
  /** One element of a non-empty list, uniformly; throws on an empty list. */
  pick<T>(items: readonly T[]): T;
  /** Up to `count` distinct elements of `items`, in a random order. */
  sample<T>(items: readonly T[], count: number): T[];
}

/** An option with a relative weight (any positive number; weights need not sum to 100). */
export interface Weighted<T> {
  readonly value: T;
  readonly weight: number;
}

/**
 * Creates a generator from a 32-bit seed (mulberry32: tiny, fast, and good enough for choosing
 * test data; not for anything secret). Seeds that differ in any bit give unrelated streams.
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const integer = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    integer,
    chance: (probability) => next() < probability,
    pick<T>(items: readonly T[]): T {
      const item = items[integer(0, items.length - 1)];
      if (items.length === 0 || item === undefined) throw new Error("pick needs a non-empty list");
      return item;
    },
    sample<T>(items: readonly T[], count: number): T[] {
      const pool = [...items];
      const chosen: T[] = [];
      while (chosen.length < count && pool.length > 0) {
        const [item] = pool.splice(integer(0, pool.length - 1), 1);
        if (item !== undefined) chosen.push(item);
      }
      return chosen;
    },
  };
}

/**
 * Derives the seed of one stream (e.g. customer number `index`) from the run's seed, so each
 * customer's choices depend only on (seed, index) — never on which worker ran it or when.
 */
export function deriveSeed(seed: number, index: number): number {
  // splitmix32-style mixing of the two numbers.
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Picks one option with probability proportional to its weight; throws if no weight is positive. */
export function pickWeighted<T>(random: SeededRandom, options: readonly Weighted<T>[]): T {
  const total = options.reduce((sum, option) => sum + Math.max(0, option.weight), 0);
  if (!(total > 0)) throw new Error("pickWeighted needs at least one positive weight");
  let remaining = random.next() * total;
  let last: T | undefined;
  for (const option of options) {
    if (option.weight <= 0) continue;
    last = option.value;
    remaining -= option.weight;
    if (remaining < 0) return option.value;
  }
  // Only reachable through floating-point rounding at the very top of the range.
  if (last === undefined) throw new Error("pickWeighted needs at least one positive weight");
  return last;
}
