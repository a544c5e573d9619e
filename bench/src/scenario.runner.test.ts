import { describe, expect, it } from "vitest";
import { QUICK_PLAN, type LadderPlan } from "./bench.plan.ts";
import type { Generator } from "./generator.client.ts";
import type { StepReply } from "./generator.protocol.ts";
import type { Progress } from "./progress.ts";
import { latency, stepRecord } from "./results.fixtures.ts";
import { runLadder } from "./scenario.runner.ts";

const silent: Progress = { log: () => {}, status: () => {}, done: () => {} };
const plan: LadderPlan = { ...QUICK_PLAN.ladder, fractions: [0.5, 1.0, 1.5], maxSteps: 3, cooldownMs: 0 };

/** A fake generator whose server does `capacity`/s; `p99At(rate, attempt)` gives each step's p99. */
function fakeGenerator(capacity: number, p99At: (rateRps: number, attempt: number) => number, probeRps = capacity) {
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
      } = stepRecord(options.rateRps, Math.min(options.rateRps, capacity), p99At(options.rateRps, attempt));
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
  it("climbs until the server falls behind, recovers, then measures at 70% of saturation", async () => {
    const { generator, calls } = fakeGenerator(1000, () => 5);
    const result = await runLadder(generator, "product", plan, silent, "test");
    // Probe 1000/s → 500, 1000, 1500: the last achieves 1000 (67%): saturated.
    expect(calls).toEqual(["probe", "probe", "step 500", "step 1000", "step 1500", "recover", "step 700"]);
    expect(result.saturationRps).toBe(1000);
    expect(result.kneeFound).toBe(true);
    expect(result.at70?.offeredRps).toBe(700);
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
});
