import { describe, expect, it } from "vitest";
import { achievedRate, DEFAULT_STOP_RULE, judgeStep, ladderRates, roundRate, saturationRps } from "./ladder.ts";

const step = (offeredRps: number, achievedRps: number, p99Ms: number, errorRate = 0) => ({
  offeredRps,
  achievedRps,
  p99Ms,
  errorRate,
});

describe("the ladder's stop rule", () => {
  it("passes a step that keeps up, with few errors and a sane p99", () => {
    expect(judgeStep(step(1000, 995, 4), 3, DEFAULT_STOP_RULE)).toEqual({ saturated: false, reasons: [] });
  });

  it("stops when achieved falls under 90% of offered", () => {
    const verdict = judgeStep(step(1000, 850, 4), 3, DEFAULT_STOP_RULE);
    expect(verdict.saturated).toBe(true);
    expect(verdict.reasons).toEqual(["achieved 85% of offered (< 90%)"]);
  });

  it("stops when more than 1% of operations fail", () => {
    const verdict = judgeStep(step(1000, 1000, 4, 0.02), 3, DEFAULT_STOP_RULE);
    expect(verdict.reasons).toEqual(["errors 2.0% (> 1%)"]);
    expect(judgeStep(step(1000, 1000, 4, 0.01), 3, DEFAULT_STOP_RULE).saturated).toBe(false);
  });

  it("stops when p99 explodes: above 20× the first step's and above the floor", () => {
    // 3 ms at the first step: 60 ms is 20× but under the 250 ms floor, 300 ms is beyond both.
    expect(judgeStep(step(1000, 1000, 200), 3, DEFAULT_STOP_RULE).saturated).toBe(false);
    expect(judgeStep(step(1000, 1000, 300), 3, DEFAULT_STOP_RULE).reasons).toEqual(["p99 300.0 ms (> 250 ms)"]);
    // A slow first step (checkout-like) moves the bar up.
    expect(judgeStep(step(10, 10, 900), 50, DEFAULT_STOP_RULE).saturated).toBe(false);
    expect(judgeStep(step(10, 10, 1100), 50, DEFAULT_STOP_RULE).saturated).toBe(true);
  });

  it("judges the first step against the floor only", () => {
    expect(judgeStep(step(100, 100, 240), undefined, DEFAULT_STOP_RULE).saturated).toBe(false);
    expect(judgeStep(step(100, 100, 260), undefined, DEFAULT_STOP_RULE).saturated).toBe(true);
  });

  it("lists every broken condition", () => {
    expect(judgeStep(step(1000, 500, 2000, 0.5), 3, DEFAULT_STOP_RULE).reasons).toHaveLength(3);
  });
});

describe("the ladder's rates", () => {
  it("rounds rates to two significant figures", () => {
    expect(roundRate(1234)).toBe(1200);
    expect(roundRate(87.4)).toBe(87);
    expect(roundRate(5.4)).toBe(5);
    expect(roundRate(0.2)).toBe(1);
  });

  it("climbs the fractions of the probe, then extends by the factor up to maxSteps", () => {
    expect(ladderRates(1000, [0.3, 0.6, 0.8, 1.0], 1.25, 6)).toEqual([300, 600, 800, 1000, 1300, 1600]);
    expect(ladderRates(1000, [0.5, 1.0, 1.5], 1.25, 2)).toEqual([500, 1000]);
  });

  it("keeps rates strictly increasing even when rounding collides", () => {
    const rates = ladderRates(3, [0.3, 0.35, 0.4], 1.1, 5);
    for (let i = 1; i < rates.length; i += 1) expect(rates[i]).toBeGreaterThan(rates[i - 1] ?? 0);
  });

  it("takes the saturation as the best achieved rate of any step", () => {
    expect(saturationRps([{ achievedRps: 100 }, { achievedRps: 180 }, { achievedRps: 170 }])).toBe(180);
    expect(saturationRps([])).toBe(0);
  });
});

describe("achieved rate", () => {
  it("gives exactly r for n completions evenly spaced at rate r", () => {
    // 11 completions 100 ms apart, from t=50 to t=1050: 10/s.
    expect(achievedRate(11, 50, 1050, 99)).toBeCloseTo(10, 10);
  });

  it("is not fooled by a constant latency that pushes the last answers past the window", () => {
    // Offered 20/s for 1 s; each answer takes 500 ms: completions from 500 to 1450 ms.
    expect(achievedRate(20, 500, 1450, 20)).toBeCloseTo(20, 10);
  });

  it("falls back to the offered rate with fewer than two completions, 0 with none", () => {
    expect(achievedRate(0, Number.NaN, Number.NaN, 50)).toBe(0);
    expect(achievedRate(1, 10, 10, 50)).toBe(50);
  });
});
