// How much a run measures: the full run (about 12 minutes on the 2-core development machine) or
// --quick (CI smoke: under 2 minutes for both topologies). Pure data.
import { SETTLED_GARBAGE_DELAY_MS } from "../../apps/souk/src/startup-garbage.ts";
import { DEFAULT_STOP_RULE, type StopRule } from "./ladder.ts";
import type { Scenario } from "./shopper.operations.ts";

/** How one ladder is climbed. */
export interface LadderPlan {
  /** The closed-loop probe that places the ladder (and warms up), in ms. */
  readonly probeMs: number;
  readonly probeConcurrency: number;
  /** Length of each open-loop step (ms). */
  readonly stepMs: number;
  /** After a step's last send, the longest wait for answers before aborting (ms). */
  readonly drainMs: number;
  /** Offered rates as fractions of the probe's throughput, climbed in order. */
  readonly fractions: readonly number[];
  /** Past the fractions, each step offers this much more than the last, up to `maxSteps`. */
  readonly extendFactor: number;
  readonly maxSteps: number;
  /** After a recovery (see scenario.runner.ts: recover), a last pause before the next measurement (ms). */
  readonly cooldownMs: number;
  /** The longest wait for the server to recover after an overloaded step (ms). */
  readonly recoverTimeoutMs: number;
  /**
   * After the first saturated step, this many more steps bisect the rates between the last step
   * that kept up and the one that did not (each after a recovery), so the knee is found to within
   * (rung gap) / 2^refineSteps instead of a whole rung (10–25 %). 0: none.
   */
  readonly refineSteps: number;
  /** Runs one more step at 70 % of the measured saturation (the p99 targets are read there). */
  readonly confirmAt70: boolean;
  readonly rule: StopRule;
  /** Operations in flight beyond this are dropped (and counted as failures). */
  readonly maxPending: number;
}

/** Everything a run's size depends on. */
export interface BenchPlan {
  readonly quick: boolean;
  readonly scenarios: readonly Scenario[];
  readonly ladder: LadderPlan;
  /**
   * When set (`--step-seconds`), the store's ladders step this long (ms) instead of
   * `ladder.stepMs`; the limits' ladders (NGINX) keep the plan's. Long steps show whether a rate
   * is sustained: a 4 s step can be answered while the store's consumers fall behind.
   */
  readonly storeStepMs?: number;
  /** Keep-alive connections of the generator's pool (the same for NGINX and Souk). */
  readonly connections: number;
  readonly checkoutCustomers: number;
  readonly cartCustomers: number;
  /** Products whose pages are read (all fetched once before measuring, so they are cache hits). */
  readonly productPages: number;
  readonly pgbench: { readonly durationS: number; readonly clients: readonly number[] };
  readonly redisRequests: number;
  /** Measure the warm restart of the embedded store too (a second start on the same data). */
  readonly embeddedRestart: boolean;
  /** Quiet time before reading idle memory (ms). */
  readonly idleSettleMs: number;
  /**
   * Time after `souk up` before reading the cluster's idle memory (ms). A process is ready a few
   * seconds before it is idle: its Kafka consumer groups join after the broker's initial
   * rebalance delay (3 s), its first polls settle, and it collects that garbage once more
   * SETTLED_GARBAGE_DELAY_MS after it starts (apps/souk/src/startup-garbage.ts). The memory
   * `idleSettleMs` after `up` is recorded too, as `justUp`.
   */
  readonly clusterSettleMs: number;
}

/** The ladder of a scenario: checkout and cart have fewer customers to go around, and checkout a slower normal. */
export function ladderFor(plan: BenchPlan, scenario: Scenario | "static"): LadderPlan {
  if (scenario === "static") return plan.ladder;
  const ladder = plan.storeStepMs === undefined ? plan.ladder : { ...plan.ladder, stepMs: plan.storeStepMs };
  if (scenario === "checkout") {
    // A few checkouts at once already saturate the saga; 32 would only queue (seconds each).
    return {
      ...ladder,
      probeConcurrency: Math.min(4, plan.checkoutCustomers),
      rule: { ...ladder.rule, p99ExplodeFloorMs: 2_000 },
    };
  }
  if (scenario === "cart") {
    return { ...ladder, probeConcurrency: Math.min(ladder.probeConcurrency, plan.cartCustomers) };
  }
  if (scenario === "mix") return { ...ladder, rule: { ...ladder.rule, p99ExplodeFloorMs: 1_000 } };
  return ladder;
}

/** The full run. */
export const FULL_PLAN: BenchPlan = {
  quick: false,
  scenarios: ["product", "browse", "search", "cart", "checkout", "mix"],
  ladder: {
    probeMs: 2_000,
    probeConcurrency: 32,
    stepMs: 4_000,
    drainMs: 2_000,
    fractions: [0.3, 0.6, 0.8, 0.95, 1.1, 1.25],
    extendFactor: 1.25,
    // Room to climb well past a low probe (a store still tiering up probes low): 14 steps reach
    // 1.25 × 1.25⁸ ≈ 7.5× the probe before the ladder gives up with "saturation higher". The
    // distributed product ladder, the first after `up`, probed 1,056/s and passed its twelfth
    // step at 4,900/s; steps past the first saturated one are never run.
    maxSteps: 14,
    cooldownMs: 1_000,
    recoverTimeoutMs: 30_000,
    // 25 % rungs → ~6 %.
    refineSteps: 2,
    confirmAt70: true,
    rule: DEFAULT_STOP_RULE,
    maxPending: 20_000,
  },
  connections: 64,
  checkoutCustomers: 80,
  cartCustomers: 40,
  productPages: 1_000,
  pgbench: { durationS: 8, clients: [8, 16] },
  redisRequests: 100_000,
  embeddedRestart: true,
  idleSettleMs: 3_000,
  clusterSettleMs: SETTLED_GARBAGE_DELAY_MS + 5_000,
};

/** --quick: the CI smoke run. */
export const QUICK_PLAN: BenchPlan = {
  quick: true,
  scenarios: ["product", "search", "checkout", "mix"],
  ladder: {
    ...FULL_PLAN.ladder,
    probeMs: 600,
    stepMs: 1_000,
    drainMs: 700,
    fractions: [0.6, 1.2],
    maxSteps: 2,
    cooldownMs: 300,
    recoverTimeoutMs: 5_000,
    refineSteps: 0,
  },
  connections: 64,
  checkoutCustomers: 12,
  cartCustomers: 6,
  productPages: 100,
  pgbench: { durationS: 2, clients: [8] },
  redisRequests: 20_000,
  embeddedRestart: false,
  idleSettleMs: 500,
  clusterSettleMs: 500,
};
