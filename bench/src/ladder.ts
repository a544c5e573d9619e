// The ladder of offered rates a scenario climbs, and the rule that stops it at saturation.

/** What the stop rule reads of one step. */
export interface StepOutcome {
  /** The constant arrival rate the generator offered (requests or operations per second). */
  readonly offeredRps: number;
  /** Successful completions per second while the step's work was being served. */
  readonly achievedRps: number;
  /** 99th percentile latency from the intended send time (ms). */
  readonly p99Ms: number;
  /** Share of operations that failed (non-2xx, timeout, network error), 0..1. */
  readonly errorRate: number;
}

/** When a step counts as beyond saturation. */
export interface StopRule {
  /** The step fails when achieved < this share of offered (0.9: the server fell 10 % behind). */
  readonly minAchievedRatio: number;
  /** The step fails when more than this share of operations failed (0.01). */
  readonly maxErrorRate: number;
  /** p99 "explodes" when above this multiple of the first step's p99 ... */
  readonly p99ExplodeFactor: number;
  /** ... and above this many milliseconds (so a 1 ms → 20 ms rise on an idle server is not an explosion). */
  readonly p99ExplodeFloorMs: number;
}

/** The default stop rule for reads; checkout uses a higher floor (its saga takes tens of ms). */
export const DEFAULT_STOP_RULE: StopRule = {
  minAchievedRatio: 0.9,
  maxErrorRate: 0.01,
  p99ExplodeFactor: 20,
  p99ExplodeFloorMs: 250,
};

/** Whether a step passed, and if not, why (one reason per broken condition). */
export interface StepVerdict {
  readonly saturated: boolean;
  readonly reasons: readonly string[];
}

/**
 * Judges one step: saturated when achieved < minAchievedRatio × offered, or errors >
 * maxErrorRate, or p99 > max(p99ExplodeFactor × the first step's p99, p99ExplodeFloorMs).
 * `baselineP99Ms` is the first step's p99 (undefined for the first step itself: only the floor applies).
 */
export function judgeStep(step: StepOutcome, baselineP99Ms: number | undefined, rule: StopRule): StepVerdict {
  const reasons: string[] = [];
  if (step.achievedRps < rule.minAchievedRatio * step.offeredRps) {
    const pct = step.offeredRps > 0 ? Math.round((100 * step.achievedRps) / step.offeredRps) : 0;
    reasons.push(`achieved ${pct}% of offered (< ${Math.round(rule.minAchievedRatio * 100)}%)`);
  }
  if (step.errorRate > rule.maxErrorRate) {
    reasons.push(`errors ${(step.errorRate * 100).toFixed(1)}% (> ${(rule.maxErrorRate * 100).toFixed(0)}%)`);
  }
  const limitMs = Math.max(rule.p99ExplodeFloorMs, rule.p99ExplodeFactor * (baselineP99Ms ?? 0));
  if (step.p99Ms > limitMs) reasons.push(`p99 ${step.p99Ms.toFixed(1)} ms (> ${limitMs.toFixed(0)} ms)`);
  return { saturated: reasons.length > 0, reasons };
}

/** A rate rounded to 2 significant figures (at least 1/s), so ladders read well in reports. */
export function roundRate(rps: number): number {
  if (!(rps > 0)) return 1;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rps)) - 1);
  return Math.max(1, Math.round(rps / magnitude) * magnitude);
}

/**
 * The offered rates of a ladder: each fraction of the probed capacity (rounded, strictly
 * increasing), then `extendFactor` times the last one until `maxSteps` rates — the runner stops
 * climbing at the first saturated step, so the extension only matters when the probe was low.
 */
export function ladderRates(
  probeRps: number,
  fractions: readonly number[],
  extendFactor: number,
  maxSteps: number,
): number[] {
  const rates: number[] = [];
  const push = (rps: number) => {
    const rounded = roundRate(rps);
    const last = rates.at(-1);
    rates.push(last !== undefined && rounded <= last ? roundRate(last * 1.1 + 1) : rounded);
  };
  for (const fraction of fractions) {
    if (rates.length >= maxSteps) break;
    push(probeRps * fraction);
  }
  while (rates.length < maxSteps) push((rates.at(-1) ?? probeRps) * extendFactor);
  return rates;
}

/**
 * The scenario's saturation throughput: the highest achieved rate of any step (a saturated step
 * still serves at about capacity, so it counts too). 0 when no step ran.
 */
export function saturationRps(steps: readonly Pick<StepOutcome, "achievedRps">[]): number {
  return steps.reduce((max, step) => Math.max(max, step.achievedRps), 0);
}

/**
 * Achieved throughput from completion times: successful completions divided by the span from
 * the first to the last completion (stretched by one inter-arrival gap, so n evenly spaced
 * completions at rate r give exactly r). Measuring over the completion span, not the offer
 * window, keeps a slow-but-keeping-up endpoint (checkout) from looking saturated because its
 * last answers land after the window closes. Falls back to `offeredRps` for fewer than 2 completions.
 */
export function achievedRate(
  successes: number,
  firstCompletionMs: number,
  lastCompletionMs: number,
  offeredRps: number,
): number {
  if (successes < 2) return successes === 0 ? 0 : offeredRps;
  const spanMs = lastCompletionMs - firstCompletionMs;
  if (!(spanMs > 0)) return offeredRps;
  const gapMs = spanMs / (successes - 1);
  return (successes * 1000) / (spanMs + gapMs);
}
