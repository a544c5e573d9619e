// Climbs one scenario's ladder: probe, open-loop steps at rising rates until the stop rule
// trips, a few steps bisecting that last rung, then one step at 70 % of the saturation it found.
import { setTimeout as sleep } from "node:timers/promises";
import type { LadderPlan } from "./bench.plan.ts";
import type { Generator } from "./generator.client.ts";
import type { GeneratorScenario, StepCounters } from "./generator.protocol.ts";
import { judgeStep, ladderRates, roundRate, saturationRps, type StepVerdict } from "./ladder.ts";
import type { LoopProgress, ProbeStats, StepStats } from "./load-generator.ts";
import type { Progress } from "./progress.ts";

/** One step as reported: what it measured and how the stop rule judged it. */
export interface StepRecord extends StepStats {
  readonly verdict: StepVerdict;
  readonly counters: StepCounters;
  /** Set when this is a second attempt: the first one tripped the stop rule on p99 alone. */
  readonly retriedFrom?: { readonly p99Ms: number; readonly reasons: readonly string[] };
  /** Set on the steps that bisect between the last step that kept up and the first that did not. */
  readonly refining?: true;
}

/** How a wait for the server to recover went (after an overloaded step). */
export interface Recovery {
  /** Whether `needed` answers in a row came back under `fastMs` before the timeout. */
  readonly recovered: boolean;
  readonly waitedMs: number;
  /** The latency that counted as recovered (ms). */
  readonly fastMs: number;
  /** Customers still busy (settling an order, refilling a cart) when the wait began its probes. */
  readonly busyCustomers: number;
}

/** One scenario's ladder. */
export interface LadderResult {
  readonly scenario: GeneratorScenario;
  readonly probe: ProbeStats;
  readonly steps: readonly StepRecord[];
  /** The highest achieved rate of any step (operations per second). */
  readonly saturationRps: number;
  /** False when every step passed: the real saturation is above the ladder's top. */
  readonly kneeFound: boolean;
  /** The step at 70 % of `saturationRps` (when the plan asks for it): the p99 targets read it. */
  readonly at70?: StepRecord;
  /** One more step at `at70`'s rate right after it: whether the server holds that load. */
  readonly at70Again?: StepRecord;
  /** Waits for the server to recover after overloaded steps. */
  readonly recoveries: readonly Recovery[];
}

/**
 * Runs the ladder of `scenario` on `generator`, reporting each step on `progress`. A step that
 * trips the stop rule on p99 alone (achieved and errors fine) is run once more after the server
 * recovers: on a shared machine one stall elsewhere can spike a p99, and one spike must not end
 * a ladder. Both attempts are kept (`retriedFrom`). After the first saturated step,
 * `plan.refineSteps` steps bisect between it and the last step that kept up (`refining`); the
 * saturation is the highest achieved rate of them all.
 */
export async function runLadder(
  generator: Generator,
  scenario: GeneratorScenario,
  plan: LadderPlan,
  progress: Progress,
  label: string,
): Promise<LadderResult> {
  const live = (what: string) => (p: LoopProgress) =>
    progress.status(
      `${label} ${what}: ${(p.elapsedMs / 1000).toFixed(1)} s, ${p.succeeded} ok, ${p.failed} failed, ${p.pending} in flight`,
    );
  // Warm-up first (connections and TLS handshakes, JIT, caches), then the probe that places the ladder.
  await generator.probe(scenario, plan.probeConcurrency, Math.round(plan.probeMs / 2), live("warm-up"));
  const probe = await generator.probe(scenario, plan.probeConcurrency, plan.probeMs, live("probe"));
  progress.log(
    `${label}: probe ${probe.rps.toFixed(0)}/s at concurrency ${plan.probeConcurrency}` +
      (probe.failed > 0 ? ` (${probe.failed} failed: ${formatStatuses(probe.statuses)})` : ""),
  );
  const rates = ladderRates(Math.max(1, probe.rps), plan.fractions, plan.extendFactor, plan.maxSteps);
  const steps: StepRecord[] = [];
  const recoveries: Recovery[] = [];
  const baseline = () => steps[0]?.latency.p50Ms ?? probe.latency.p50Ms;
  const recoverNow = async () => {
    recoveries.push(await recover(generator, scenario, plan, Math.max(20, 3 * baseline()), progress, label));
  };
  const runStep = async (rateRps: number, what: string): Promise<StepRecord> => {
    const reply = await generator.step(
      scenario,
      { rateRps, durationMs: plan.stepMs, drainMs: plan.drainMs, maxPending: plan.maxPending },
      live(`${what} ${rateRps}/s`),
    );
    const outcome = { ...reply.stats, p99Ms: reply.stats.latency.p99Ms };
    const verdict = judgeStep(outcome, steps[0]?.latency.p99Ms, plan.rule);
    return { ...reply.stats, verdict, counters: reply.counters };
  };
  /** One step, run once more after a recovery when it tripped the rule on p99 alone. */
  const runJudgedStep = async (rateRps: number, what: string): Promise<StepRecord> => {
    const first = await runStep(rateRps, what);
    if (!first.verdict.saturated || !first.verdict.reasons.every((reason) => reason.startsWith("p99"))) return first;
    progress.log(`${label}: ${describeStep(first)} — p99 alone: once more after a recovery`);
    await recoverNow();
    return {
      ...(await runStep(rateRps, `${what} again`)),
      retriedFrom: { p99Ms: first.latency.p99Ms, reasons: first.verdict.reasons },
    };
  };
  for (const rate of rates) {
    const step = await runJudgedStep(rate, `step ${steps.length + 1}/${rates.length}`);
    steps.push(step);
    progress.log(`${label}: ${describeStep(step)}`);
    if (step.verdict.saturated) break;
  }
  const kneeFound = steps.some((s) => s.verdict.saturated);
  // Bisect the last rung: an overloaded server may serve far less than its capacity (queues,
  // timeouts, a generator busy with its backlog), so the saturated step alone can undercount it.
  let keptUp = steps.findLast((s) => !s.verdict.saturated)?.offeredRps;
  let fellBehind = steps.at(-1)?.offeredRps;
  for (let i = 0; kneeFound && keptUp !== undefined && fellBehind !== undefined && i < plan.refineSteps; i++) {
    const rate = roundRate((keptUp + fellBehind) / 2);
    if (rate <= keptUp || rate >= fellBehind) break;
    await recoverNow();
    const step: StepRecord = {
      ...(await runJudgedStep(rate, `refining ${i + 1}/${plan.refineSteps}`)),
      refining: true,
    };
    steps.push(step);
    progress.log(`${label}: refining: ${describeStep(step)}`);
    if (step.verdict.saturated) fellBehind = rate;
    else keptUp = rate;
  }
  const saturation = saturationRps(steps);
  let at70: StepRecord | undefined;
  let at70Again: StepRecord | undefined;
  if (plan.confirmAt70 && saturation > 0) {
    // An overloaded server goes on working through its backlog after the generator gave up (a
    // checkout saga is not cancelled with its request): let it recover before measuring at 70 %.
    if (kneeFound) await recoverNow();
    const rate = roundRate(0.7 * saturation);
    at70 = await runStep(rate, "70% of saturation");
    progress.log(`${label}: at 70% of saturation: ${describeStep(at70)}`);
    // The same load once more: a step begins on a server the recovery left idle (its heap
    // collected, its consumers caught up); the next one shows whether it holds the rate.
    at70Again = await runStep(rate, "70% of saturation, again");
    progress.log(`${label}: at 70% of saturation, again: ${describeStep(at70Again)}`);
  }
  // The next scenario starts on a recovered server.
  if ((at70Again ?? at70 ?? steps.at(-1))?.verdict.saturated === true) await recoverNow();
  return {
    scenario,
    probe,
    steps,
    saturationRps: saturation,
    kneeFound,
    ...(at70 === undefined ? {} : { at70 }),
    ...(at70Again === undefined ? {} : { at70Again }),
    recoveries,
  };
}

/**
 * Waits until the server is back to normal after an overloaded step: every customer returned
 * (orders settled, carts refilled), then operations of the scenario one at a time until three in
 * a row answer within `fastMs` (or `plan.recoverTimeoutMs` passes), then `plan.cooldownMs`.
 */
export async function recover(
  generator: Generator,
  scenario: GeneratorScenario,
  plan: LadderPlan,
  fastMs: number,
  progress: Progress,
  label: string,
): Promise<Recovery> {
  progress.status(`${label}: letting the server recover`);
  const started = performance.now();
  const busyCustomers = await generator.quiesce(plan.recoverTimeoutMs);
  const { recovered } = await generator.recover(scenario, fastMs, plan.recoverTimeoutMs);
  await sleep(plan.cooldownMs);
  const waitedMs = Math.round(performance.now() - started);
  if (!recovered || busyCustomers > 0) {
    progress.log(
      `${label}: the server did not recover within ${plan.recoverTimeoutMs / 1000} s` +
        (busyCustomers > 0 ? ` (${busyCustomers} customers still busy)` : ""),
    );
  }
  return { recovered, waitedMs, fastMs: Math.round(fastMs * 10) / 10, busyCustomers };
}

/** One line about a step: offered → achieved, percentiles, errors, verdict. */
export function describeStep(step: StepRecord): string {
  const l = step.latency;
  const errors =
    step.failed > 0 ? `, ${(step.errorRate * 100).toFixed(1)}% errors (${formatStatuses(step.statuses)})` : "";
  const verdict = step.verdict.saturated ? ` — saturated: ${step.verdict.reasons.join("; ")}` : "";
  return (
    `offered ${step.offeredRps}/s → ${step.achievedRps.toFixed(0)}/s, ` +
    `p50 ${l.p50Ms.toFixed(1)} p90 ${l.p90Ms.toFixed(1)} p99 ${l.p99Ms.toFixed(1)} ms${errors}${verdict}`
  );
}

/** Non-2xx statuses as `409×3, timeout×1`. */
export function formatStatuses(statuses: Readonly<Record<string, number>>): string {
  return Object.entries(statuses)
    .filter(([status]) => !/^2\d\d$/.test(status))
    .map(([status, count]) => `${status}×${count}`)
    .join(", ");
}
