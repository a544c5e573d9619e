// The shape of results.json, and the targets of issue 5 computed from it (pure).
import type { BenchPlan } from "./bench.plan.ts";
import type { Topology } from "./bench.args.ts";
import type { PgbenchLimit } from "./limits/pgbench.limit.ts";
import type { RedisLimit } from "./limits/redis.limit.ts";
import type { LadderResult } from "./scenario.runner.ts";
import type { Scenario } from "./shopper.operations.ts";
import type { ClusterProcessMemory } from "./topology/distributed.topology.ts";

/** The machine the run measured. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly node: string;
  /** 1-minute load average when the run started (other work on the machine shows here). */
  readonly loadAverageAtStart: number;
}

/** The machine's limits, measured in the same run. */
export interface LimitsResult {
  /** The static file's size: the mean size of a product response (bytes). */
  readonly staticFileBytes?: number;
  readonly nginxHttp?: LadderResult;
  readonly nginxHttps?: LadderResult;
  readonly pgbench?: readonly PgbenchLimit[];
  readonly redis?: RedisLimit;
  /** Limits that could not be measured, and why. */
  readonly errors: readonly string[];
}

/** Memory of the embedded store's one process. */
export interface EmbeddedMemory {
  readonly kind: "embedded";
  /** Resident set after start, before any load (bytes). */
  readonly idleRssBytes: number;
  /** Resident set once the load is over (bytes). */
  readonly afterLoadRssBytes: number;
  /** The most it ever held (VmHWM) over the run (bytes). */
  readonly peakRssBytes: number;
  /** Its memory at the end of each scenario's ladder, in the order they ran (absent in older results). */
  readonly afterScenarios?: readonly ScenarioMemory[];
}

/** The embedded store's memory at the end of one scenario's ladder. */
export interface ScenarioMemory {
  readonly scenario: Scenario;
  /** Resident set then (VmRSS, bytes). */
  readonly rssBytes: number;
  /** The most it had held so far (VmHWM, bytes). */
  readonly peakRssBytes: number;
}

/**
 * The scenario whose ladder took the store to its peak: the first whose end found the peak
 * (VmHWM only grows) at the run's final figure. Undefined without per-scenario figures, or when
 * the peak came after the last ladder ended.
 */
export function peakScenarioOf(memory: EmbeddedMemory): Scenario | undefined {
  return memory.afterScenarios?.find((after) => after.peakRssBytes >= memory.peakRssBytes)?.scenario;
}

/** Memory of the cluster's processes. */
export interface DistributedMemory {
  readonly kind: "distributed";
  /** Settled after `up` (BenchPlan.clusterSettleMs), before any load: what the target judges. */
  readonly idle: readonly ClusterProcessMemory[];
  /** Just after `up` (BenchPlan.idleSettleMs), while consumers still join; absent in older results. */
  readonly justUp?: readonly ClusterProcessMemory[];
  /** Once the load is over. */
  readonly afterLoad: readonly ClusterProcessMemory[];
}

/** One topology's measurements. */
export interface TopologyResult {
  readonly topology: Topology;
  readonly baseUrl: string;
  /**
   * Embedded: spawn → ready with a fresh data directory (a copy of the store template);
   * distributed: the wall time of `souk up` (ms).
   */
  readonly readyMs: number;
  /** Embedded: spawn → ready of the run's first start, which built the store template (ms). */
  readonly firstReadyMs?: number;
  /** Embedded: startEmbedded's own figure (ms). */
  readonly startupMs?: number;
  /** Embedded: spawn → ready again on the same (now seeded) data directory (ms). */
  readonly warmReadyMs?: number;
  readonly memory?: EmbeddedMemory | DistributedMemory;
  readonly products?: number;
  readonly productBodyBytes?: number;
  readonly scenarios: readonly LadderResult[];
  /** Why the topology stopped early, when it did. */
  readonly error?: string;
}

/** One target of issue 5 as measured. `pass` is null when it could not be measured. */
export interface TargetRow {
  readonly topology: Topology;
  readonly name: string;
  readonly measured: number | null;
  readonly unit: "×" | "ms" | "MB" | "s";
  readonly comparison: "≥" | "≤" | "<";
  readonly target: number;
  readonly pass: boolean | null;
  /** How the figure was computed (the two rates of a ratio, the process of a memory figure). */
  readonly detail: string;
}

/** results.json. */
export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallTimeMs: number;
  readonly quick: boolean;
  readonly seed: number;
  readonly machine: MachineInfo;
  readonly plan: BenchPlan;
  /** Environment the stores under test ran with (rate limits lifted for one client machine). */
  readonly storeEnv: Readonly<Record<string, string>>;
  readonly limits: LimitsResult;
  readonly topologies: readonly TopologyResult[];
  readonly targets: readonly TargetRow[];
}

/** The thresholds of issue 5. */
export const TARGETS = {
  productVsNginx: 0.5,
  searchVsPgbench: 0.5,
  checkoutVsPgbench: 0.5,
  readP99Ms: 25,
  checkoutP99Ms: 100,
  embeddedRssMb: 300,
  embeddedReadyS: 3,
  distributedIdleRssMb: 100,
} as const;

/** The read scenarios whose p99 at 70 % of saturation must stay under `TARGETS.readP99Ms`. */
const READ_SCENARIOS = ["product", "browse", "search"] as const;

const mb = (bytes: number) => Math.round(bytes / 100_000) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

function row(
  topology: Topology,
  name: string,
  measured: number | null,
  unit: TargetRow["unit"],
  comparison: TargetRow["comparison"],
  target: number,
  detail: string,
): TargetRow {
  const pass =
    measured === null
      ? null
      : comparison === "≥"
        ? measured >= target
        : comparison === "≤"
          ? measured <= target
          : measured < target;
  return { topology, name, measured, unit, comparison, target, pass, detail };
}

/**
 * The targets of issue 5 for every measured topology, each in one run: throughput ratios to the
 * machine's limits, p99 at 70 % of saturation, memory and readiness. A figure that could not be
 * measured (a limit or scenario missing) is a row with `measured: null`.
 */
export function computeTargets(limits: LimitsResult, topologies: readonly TopologyResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const pgbench = (script: "search" | "checkout") => limits.pgbench?.find((l) => l.script === script)?.bestTps;
  for (const t of topologies) {
    const scenario = (name: string) => t.scenarios.find((s) => s.scenario === name);
    // The distributed store answers over TLS (NGINX's edge): compare with NGINX serving TLS too.
    const nginx = t.topology === "distributed" ? (limits.nginxHttps ?? limits.nginxHttp) : limits.nginxHttp;
    const nginxKind = nginx !== undefined && nginx === limits.nginxHttps ? "https" : "http";
    const versus = (
      name: string,
      ours: number | undefined,
      theirs: number | undefined,
      theirName: string,
      target: number,
    ) => {
      const measured = ours !== undefined && theirs !== undefined && theirs > 0 ? ratio(ours, theirs) : null;
      rows.push(row(t.topology, name, measured, "×", "≥", target, `${fmt(ours)}/s vs ${theirName} ${fmt(theirs)}/s`));
    };
    versus(
      "product page (cache hit) / NGINX static file",
      scenario("product")?.saturationRps,
      nginx?.saturationRps,
      `NGINX ${nginxKind}`,
      TARGETS.productVsNginx,
    );
    versus(
      "search / pgbench search SQL",
      scenario("search")?.saturationRps,
      pgbench("search"),
      "pgbench",
      TARGETS.searchVsPgbench,
    );
    versus(
      "checkout / pgbench checkout SQL",
      scenario("checkout")?.saturationRps,
      pgbench("checkout"),
      "pgbench",
      TARGETS.checkoutVsPgbench,
    );
    for (const name of [...READ_SCENARIOS, "checkout"]) {
      const s = scenario(name);
      if (s === undefined) continue;
      const limit = name === "checkout" ? TARGETS.checkoutP99Ms : TARGETS.readP99Ms;
      const at70 = s.at70;
      const name70 = `${name} p99 at 70% of saturation`;
      if (at70 === undefined || at70.succeeded === 0) {
        const why = at70 === undefined ? "no 70% step" : "no operation succeeded at 70%";
        rows.push(row(t.topology, name70, null, "ms", "≤", limit, why));
        continue;
      }
      const p99 = row(
        t.topology,
        name70,
        at70.latency.p99Ms,
        "ms",
        "≤",
        limit,
        `at ${at70.offeredRps}/s (saturation ${fmt(s.saturationRps)}/s)` +
          (s.at70Again === undefined ? "" : `; the same rate once more: p99 ${fmt(s.at70Again.latency.p99Ms)} ms`),
      );
      // A p99 read while the server did not keep up (or failed) at 70 % does not pass, however low.
      rows.push(
        at70.verdict.saturated
          ? {
              ...p99,
              pass: false,
              detail: `${p99.detail}; the 70% step itself tripped the stop rule: ${at70.verdict.reasons.join("; ")}`,
            }
          : p99,
      );
    }
    if (t.memory?.kind === "embedded") {
      const peakScenario = peakScenarioOf(t.memory);
      rows.push(
        row(
          t.topology,
          "whole store RSS (peak under load)",
          mb(t.memory.peakRssBytes),
          "MB",
          "≤",
          TARGETS.embeddedRssMb,
          `idle ${mb(t.memory.idleRssBytes)} MB after start, ${mb(t.memory.afterLoadRssBytes)} MB after the load` +
            (peakScenario === undefined ? "" : `; peak reached in the ${peakScenario} ladder`),
        ),
      );
    }
    if (t.topology === "embedded") {
      rows.push(
        row(
          t.topology,
          "ready (fresh data directory)",
          Math.round(t.readyMs / 10) / 100,
          "s",
          "<",
          TARGETS.embeddedReadyS,
          `spawn → listening on a copy of the store template (migrated, seeded)` +
            (t.firstReadyMs === undefined
              ? ""
              : `; the first start of this code on a machine, which builds the template: ${(t.firstReadyMs / 1000).toFixed(2)} s`) +
            (t.warmReadyMs === undefined ? "" : `; restart on the seeded data: ${(t.warmReadyMs / 1000).toFixed(2)} s`),
        ),
      );
    }
    if (t.memory?.kind === "distributed" && t.memory.idle.length > 0) {
      const largest = t.memory.idle.reduce((a, b) => (b.rssBytes > a.rssBytes ? b : a));
      rows.push(
        row(
          t.topology,
          "largest idle RSS of one service process",
          mb(largest.rssBytes),
          "MB",
          "<",
          TARGETS.distributedIdleRssMb,
          `${largest.name}; ${t.memory.idle.length} processes, ${mb(t.memory.idle.reduce((s, p) => s + p.rssBytes, 0))} MB in all`,
        ),
      );
    }
  }
  return rows;
}

/** A rate for a detail line: whole numbers, `?` when missing. */
function fmt(rps: number | undefined): string {
  return rps === undefined ? "?" : rps >= 100 ? rps.toFixed(0) : rps.toFixed(1);
}
