import { describe, expect, it } from "vitest";
import { QUICK_PLAN, type LadderPlan } from "./bench.plan.ts";
import type { Generator } from "./generator.client.ts";
import type { StepReply } from "./generator.protocol.ts";
import type { Progress } from "./progress.ts";
import { latency, stepRecord } from "./results.fixtures.ts";
import { runLadder } from "./scenario.runner.ts";

const silent: Progress = { log: () => {}, status: () => {}, done: () => {} };
const plan: LadderPlan = { ...QUICK_PLAN.ladder, fractions: [0.5, 1.0, 1.5], maxSteps: 3, cooldownMs: 0 };

/**
 * A fake generator whose server does `capacity`/s; `p99At(rate, attempt)` gives each step's p99.
 * Offered more than its capacity, the server serves `overloadedShare` of it (1: all of it).
 */
function fakeGenerator(
  capacity: number,
  p99At: (rateRps: number, attempt: number) => number,
  probeRps = capacity,
  overloadedShare = 1,
) {
  const calls: string[] = [];
  const attempts = new Map<number, number>();
  const generator: Generator = {
    async probe() {
      calls.push("probe");
      return {
        concurrency: 32,
        durationMs: 600,
        succeeded: 100,
        failed: 0,
        rps: probeRps,
        statuses: {},
        latency: latency(4),
      };
    },
    async step(_scenario, options): Promise<StepReply> {
      const attempt = (attempts.get(options.rateRps) ?? 0) + 1;
      attempts.set(options.rateRps, attempt);
      calls.push(`step ${options.rateRps}`);
      const {
        verdict: _v,
        counters,
        ...stats
      } = stepRecord(
        options.rateRps,
        options.rateRps <= capacity ? options.rateRps : capacity * overloadedShare,
        p99At(options.rateRps, attempt),
      );
      return { stats, counters };
    },
    async quiesce() {
      return 0;
    },
    async recover() {
      calls.push("recover");
      return { recovered: true };
    },
    async updateTokens() {},
    async close() {},
  };
  return { generator, calls };
}

describe("a scenario's ladder", () => {
  it("climbs until the server falls behind, recovers, then measures at 70% of saturation twice", async () => {
    // The second step at 700/s finds a server that does not hold the rate as well.
    const { generator, calls } = fakeGenerator(1000, (rate, attempt) => (rate === 700 && attempt === 2 ? 80 : 5));
    const result = await runLadder(generator, "product", plan, silent, "test");
    // Probe 1000/s → 500, 1000, 1500: the last achieves 1000 (67%): saturated.
    expect(calls).toEqual(["probe", "probe", "step 500", "step 1000", "step 1500", "recover", "step 700", "step 700"]);
    expect(result.saturationRps).toBe(1000);
    expect(result.kneeFound).toBe(true);
    expect(result.at70?.offeredRps).toBe(700);
    expect(result.at70?.latency.p99Ms).toBe(5);
    expect(result.at70Again?.latency.p99Ms).toBe(80);
    expect(result.recoveries).toHaveLength(1);
  });

  it("runs a step tripped by p99 alone once more, and keeps going when the second try passes", async () => {
    // A stall elsewhere on the machine spikes the first try at 1000/s.
    const { generator, calls } = fakeGenerator(2000, (rate, attempt) => (rate === 1000 && attempt === 1 ? 900 : 5));
    const result = await runLadder(generator, "product", { ...plan, confirmAt70: false }, silent, "test");
    // 3000/s is beyond the server: saturated, and the next scenario gets a recovered server.
    expect(calls).toEqual(["probe", "probe", "step 1000", "recover", "step 1000", "step 2000", "step 3000", "recover"]);
    expect(result.steps[0]?.retriedFrom?.p99Ms).toBe(900);
    expect(result.steps[0]?.verdict.saturated).toBe(false);
    expect(result.saturationRps).toBe(2000);
  });

  it("stops when the second try trips the rule too", async () => {
    const { generator } = fakeGenerator(2000, (rate) => (rate >= 2000 ? 900 : 5));
    const result = await runLadder(generator, "product", { ...plan, confirmAt70: false }, silent, "test");
    expect(result.steps.map((s) => s.offeredRps)).toEqual([1000, 2000]);
    expect(result.steps[1]?.verdict.saturated).toBe(true);
    expect(result.steps[1]?.retriedFrom).toBeDefined();
  });

  it("says when the ladder's top step still passed (saturation is higher)", async () => {
    const { generator } = fakeGenerator(100_000, () => 5, 10_000);
    const result = await runLadder(generator, "product", { ...plan, confirmAt70: false }, silent, "test");
    expect(result.kneeFound).toBe(false);
    expect(result.saturationRps).toBe(10_000 * 1.5);
  });

  it("bisects the last rung when the plan asks: an overloaded server can serve less than its capacity", async () => {
    // Capacity 1300/s, but offered more it collapses to half of it.
    const { generator, calls } = fakeGenerator(1300, () => 5, 1000, 0.5);
    const result = await runLadder(generator, "product", { ...plan, refineSteps: 2 }, silent, "test");
    // 500 and 1000 keep up, 1500 serves 650/s; then 1300 (between 1000 and 1500) keeps up and
    // 1400 (between 1300 and 1500) does not, each after a recovery; 70 % of 1300 is 910.
    expect(calls).toEqual([
      "probe",
      "probe",
      "step 500",
      "step 1000",
      "step 1500",
      "recover",
      "step 1300",
      "recover",
      "step 1400",
      "recover",
      "step 910",
      "step 910",
    ]);
    expect(result.steps.map((s) => [s.offeredRps, s.verdict.saturated, s.refining ?? false])).toEqual([
      [500, false, false],
      [1000, false, false],
      [1500, true, false],
      [1300, false, true],
      [1400, true, true],
    ]);
    expect(result.saturationRps).toBe(1300);
    expect(result.kneeFound).toBe(true);
    // Without the bisection the same server measures 1000/s.
    const unrefined = await runLadder(fakeGenerator(1300, () => 5, 1000, 0.5).generator, "product", plan, silent, "t");
    expect(unrefined.saturationRps).toBe(1000);
  });

  it("does not bisect when no step kept up, or when the rung has no rate in between", async () => {
    const none = fakeGenerator(100, () => 5, 1000, 0.5);
    const first = await runLadder(none.generator, "product", { ...plan, refineSteps: 2 }, silent, "test");
    expect(none.calls).toEqual(["probe", "probe", "step 500", "recover", "step 35", "step 35"]);
    expect(first.saturationRps).toBe(50);
    expect(first.steps.some((s) => s.refining)).toBe(false);

    // 10/s keeps up, 11/s does not: no whole rate lies between them.
    const adjacent = fakeGenerator(10, () => 5, 10, 0.5);
    const narrow = { ...plan, fractions: [1.0, 1.1], maxSteps: 2, refineSteps: 2 };
    const second = await runLadder(adjacent.generator, "product", narrow, silent, "test");
    expect(adjacent.calls).toEqual(["probe", "probe", "step 10", "step 11", "recover", "step 7", "step 7"]);
    expect(second.saturationRps).toBe(10);
  });
});
