import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NODE_ARGS } from "./node-options.ts";
import { collectSettledGarbage, SETTLED_GARBAGE_DELAY_MS } from "./startup-garbage.ts";

const MODULE = fileURLToPath(new URL("./startup-garbage.ts", import.meta.url));

/**
 * Runs collectStartupGarbage in a fresh Node with `nodeArgs`, after growing the young generation
 * the way a start does (many short-lived objects, some surviving a scavenge), and reports what it
 * returned and V8's young-generation size (bytes) before and after.
 */
function collectIn(nodeArgs: readonly string[]): { collected: boolean; before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    import { collectStartupGarbage } from ${JSON.stringify(MODULE)};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    let kept = [];
    for (let i = 0; i < 400_000; i += 1) {
      kept.push({ i, text: "item " + i });
      if (kept.length > 50_000) kept = [];
    }
    kept = [];
    const before = young();
    const collected = collectStartupGarbage();
    console.log(JSON.stringify({ collected, before, after: young() }));
  `;
  const out = execFileSync(process.execPath, [...nodeArgs, "--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as { collected: boolean; before: number; after: number };
}

describe("collectStartupGarbage", () => {
  it("with the cluster's Node options, shrinks the young generation a start grew", () => {
    expect(NODE_ARGS).toContain("--expose-gc");
    const { collected, before, after } = collectIn(NODE_ARGS);
    expect(collected).toBe(true);
    expect(before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after).toBeLessThanOrEqual(before / 4);
  });

  it("without --expose-gc, does nothing and says so", () => {
    const { collected, before, after } = collectIn(["--max-semi-space-size=8"]);
    expect(collected).toBe(false);
    expect(after).toBe(before);
  });
});

describe("collectSettledGarbage", () => {
  afterEach(() => vi.useRealTimers());

  it("collects once, when the delay has passed, on a timer that does not hold the process", () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    const timer = collectSettledGarbage(SETTLED_GARBAGE_DELAY_MS, collect);
    expect(timer.hasRef()).toBe(false);
    vi.advanceTimersByTime(SETTLED_GARBAGE_DELAY_MS - 1);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * SETTLED_GARBAGE_DELAY_MS);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it("collects nothing once cleared", () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    clearTimeout(collectSettledGarbage(1_000, collect));
    vi.advanceTimersByTime(5_000);
    expect(collect).not.toHaveBeenCalled();
  });
});
