// `npm run bench -- [options]`: the command line, parsed into options (pure).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SCENARIOS, type Scenario } from "./shopper.operations.ts";

/** The topologies a run measures. */
export type Topology = "embedded" | "distributed";

/** Parsed options of `npm run bench`. */
export interface BenchOptions {
  readonly help: boolean;
  /** The short CI smoke run (under 2 minutes): fewer scenarios, steps and customers. */
  readonly quick: boolean;
  readonly topologies: readonly Topology[];
  /** Where results.json, summary.md and the charts go. */
  readonly outDir: string;
  /** Whether `outDir` is the default one under bench/results (then a full run refreshes bench/results/latest). */
  readonly defaultOut: boolean;
  /** Seed of every random choice of the generator (products, terms, the mix). */
  readonly seed: number;
  /** Only these scenarios (default: the plan's); for iterating on one path. */
  readonly scenarios?: readonly Scenario[];
  /** Skip the machine's limits (NGINX, pgbench, redis-benchmark): no ratios, only the store's numbers. */
  readonly skipLimits: boolean;
  /** `--step-seconds`: the store's ladder steps last this long (ms) instead of the plan's. */
  readonly storeStepMs?: number;
}

/** The help text. */
export const BENCH_USAGE = `Usage: npm run bench -- [options]

Measures Souk's public API with an open-loop load generator (constant arrival rate, latency from
the intended send time, HdrHistogram) against the machine's own limits measured in the same run:
NGINX serving a static file of a product response's size, pgbench running the search's and the
checkout's SQL, redis-benchmark GET/SET.

Options:
  --quick                       the CI smoke run: under 2 minutes for both topologies
  --topology embedded|distributed|both
                                which topologies to measure (default both)
  --out <dir>                   where results go (default bench/results/<timestamp>)
  --seed <n>                    seed of the generator's random choices (default 1)
  --scenarios <a,b,…>           only these of ${SCENARIOS.join(", ")} (for iterating)
  --no-limits                   skip the machine's limits (no ratios; for iterating)
  --step-seconds <s>            the store's ladder steps last s seconds (1–600) instead of 4 (1
                                with --quick); NGINX's keep theirs. For sustained rates: a short
                                step can be answered while the store's consumers fall behind
  -h, --help                    this text

Writes results.json, summary.md and charts/*.svg; progress goes to stderr. A full run with the
default --out (both topologies, every scenario, the limits) also refreshes bench/results/latest/.`;

/** A bad command line (the caller prints the message and the usage, exit code 2). */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

/**
 * Parses `argv` (without node and the script). `now` names the default output directory
 * (bench/results/<UTC timestamp>) under `repoRoot`.
 *
 * @throws BenchUsageError naming the bad option.
 */
export function parseBenchArgs(argv: readonly string[], repoRoot: string, now: Date): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        quick: { type: "boolean" },
        topology: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        scenarios: { type: "string" },
        "no-limits": { type: "boolean" },
        "step-seconds": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const topology = values.topology ?? "both";
  const topologies: Topology[] | undefined =
    topology === "both"
      ? ["embedded", "distributed"]
      : topology === "embedded" || topology === "distributed"
        ? [topology]
        : undefined;
  if (topologies === undefined) {
    throw new BenchUsageError(`--topology must be embedded, distributed or both (got "${topology}")`);
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new BenchUsageError(`--seed must be a non-negative integer`);
  if (values.out === "") throw new BenchUsageError("--out needs a directory");
  let scenarios: Scenario[] | undefined;
  if (values.scenarios !== undefined) {
    const names = values.scenarios.split(",").map((name) => name.trim());
    const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
    if (unknown.length > 0 || names.length === 0) {
      throw new BenchUsageError(
        `--scenarios takes a comma-separated list of ${SCENARIOS.join(", ")} (got "${values.scenarios}")`,
      );
    }
    scenarios = names as Scenario[];
  }
  let storeStepMs: number | undefined;
  if (values["step-seconds"] !== undefined) {
    const seconds = Number(values["step-seconds"]);
    // Number("") and Number("  ") are 0: an empty value fails the range like any other.
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
      throw new BenchUsageError(
        `--step-seconds must be a number of seconds from 1 to 600 (got "${values["step-seconds"]}")`,
      );
    }
    storeStepMs = Math.round(seconds * 1000);
  }
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replaceAll(":", "-");
  return {
    help: values.help === true,
    quick: values.quick === true,
    topologies,
    outDir: values.out ?? join(repoRoot, "bench", "results", stamp),
    defaultOut: values.out === undefined,
    seed,
    ...(scenarios === undefined ? {} : { scenarios }),
    skipLimits: values["no-limits"] === true,
    ...(storeStepMs === undefined ? {} : { storeStepMs }),
  };
}
