#!/usr/bin/env node
// `npm run bench`: Souk's public API under an open-loop load, each topology in turn, against the
// machine's own limits measured in the same run; writes results.json, summary.md and charts.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { access } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "@souk/platform";
import { CatalogConfig } from "@souk/catalog";
import {
  LOOPBACK,
  PG_PASSWORD,
  PG_USER,
  REPO_ROOT,
  loadBackingConfig,
} from "../../apps/souk/src/backing/backing.config.ts";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs, type BenchOptions, type Topology } from "./bench.args.ts";
import { FULL_PLAN, ladderFor, QUICK_PLAN, type BenchPlan } from "./bench.plan.ts";
import { buildCharts } from "./charts.ts";
import { startGenerator } from "./generator.client.ts";
import { startStaticNginx, STATIC_PATH, type TlsFiles } from "./limits/nginx-static.ts";
import { measurePgbenchLimits, servicesSeeded } from "./limits/pgbench.limit.ts";
import { measureRedisLimit } from "./limits/redis.limit.ts";
import { createProgress, type Progress } from "./progress.ts";
import { megabytes } from "./process-memory.ts";
import {
  computeTargets,
  type BenchResults,
  type LimitsResult,
  type ScenarioMemory,
  type TopologyResult,
} from "./results.ts";
import { runLadder, type LadderResult } from "./scenario.runner.ts";
import { benchSearchTerms, prepareShop, type PreparedShop } from "./shop.prepare.ts";
import type { Scenario } from "./shopper.operations.ts";
import { formatMeasured, renderSummary, verdictMark } from "./summary.ts";
import { buildBundle } from "../../apps/souk/src/bundle.ts";
import { startEmbeddedProcess, type EmbeddedProcess } from "./topology/embedded.topology.ts";
import {
  clusterDown,
  clusterMemory,
  clusterPaths,
  clusterUp,
  runningCluster,
  startBackingServices,
  type ClusterProcessMemory,
} from "./topology/distributed.topology.ts";
import { undiciTransport } from "./undici.transport.ts";

/**
 * The stores run with these on top of their defaults: one generator on one IP would otherwise
 * meet the gateway's rate limits (1,200 requests a minute per IP) and the fraud velocity rule
 * (10 authorizations per customer per 10 minutes) within seconds. The checks still run.
 */
export const STORE_ENV: Readonly<Record<string, string>> = {
  GATEWAY_RATE_LIMIT_PER_IP: "1000000000",
  GATEWAY_RATE_LIMIT_PER_USER: "1000000000",
  PAYMENTS_FRAUD_VELOCITY_MAX: "1000000000",
};

/** Access tokens live 15 minutes: customers sign in again before a scenario once theirs are this old. */
const RELOGIN_AFTER_MS = 10 * 60_000;
/** The static file's size when no topology measured a product response (a typical one). */
const FALLBACK_PRODUCT_BYTES = 420;

/** Everything one run shares. */
interface RunContext {
  readonly options: BenchOptions;
  readonly plan: BenchPlan;
  readonly progress: Progress;
  readonly runId: string;
  readonly logsDir: string;
}

/** The scenarios of `plan` against one store, through one generator thread. */
async function runScenarios(
  ctx: RunContext,
  topology: Topology,
  origin: string,
  caPem: string | undefined,
  prepared: PreparedShop,
  ladders: LadderResult[],
  afterScenario: (scenario: Scenario) => Promise<void> = async () => {},
): Promise<void> {
  const generator = startGenerator({
    origin,
    ...(caPem === undefined ? {} : { caPem }),
    connections: ctx.plan.connections,
    seed: ctx.options.seed,
    shopper: prepared.data,
  });
  let signedInMs = performance.now();
  try {
    for (const scenario of ctx.plan.scenarios) {
      if (performance.now() - signedInMs > RELOGIN_AFTER_MS) {
        await generator.updateTokens(await prepared.relogin());
        signedInMs = performance.now();
        ctx.progress.log(`${topology}: customers signed in again (fresh access tokens)`);
      }
      const ladder = await runLadder(
        generator,
        scenario,
        ladderFor(ctx.plan, scenario),
        ctx.progress,
        `${topology} ${scenario}`,
      );
      // Checked before keeping the ladder: one measured against something else is thrown away.
      await afterScenario(scenario);
      ladders.push(ladder);
      // The next scenario starts with every customer back (no order settling, no cart refilling).
      await generator.quiesce(ctx.plan.ladder.recoverTimeoutMs);
    }
  } finally {
    await generator.close();
  }
}

function prepare(ctx: RunContext, topology: Topology, baseUrl: string, caPem?: string): Promise<PreparedShop> {
  return prepareShop({
    baseUrl,
    transport: undiciTransport(new URL(baseUrl).origin, 8, caPem),
    runId: `${ctx.runId}${topology.slice(0, 1)}`,
    seed: ctx.options.seed,
    productPages: ctx.plan.productPages,
    checkoutCustomers: ctx.plan.checkoutCustomers,
    cartCustomers: ctx.plan.cartCustomers,
    log: (line) => ctx.progress.log(`${topology}: ${line}`),
  });
}

/** The embedded topology: a fresh store in a child process, measured, stopped, restarted once (full run). */
async function runEmbedded(ctx: RunContext): Promise<TopologyResult> {
  const { plan, progress } = ctx;
  const logFile = join(ctx.logsDir, "embedded.log");
  const ladders: LadderResult[] = [];
  // What `npm start` runs: the bundle, built from the working tree.
  const bundle = await buildBundle();
  progress.log(`embedded: bundled ${bundle.entry} in ${(bundle.ms / 1000).toFixed(1)} s`);
  // Store templates of this run's own: the first start builds one (what the first start of this
  // code on a machine does), the measured store then starts on a fresh data directory as a copy.
  const templateDir = await mkdtemp(join(tmpdir(), "souk-bench-templates-"));
  const env = { ...STORE_ENV, SOUK_TEMPLATE_DIR: templateDir };
  const firstDataDir = await mkdtemp(join(tmpdir(), "souk-bench-embedded-first-"));
  progress.log(`embedded: first start, building the store template in ${templateDir}`);
  let first: EmbeddedProcess;
  try {
    first = await startEmbeddedProcess({ dataDir: firstDataDir, env, logFile });
    await first.stop();
  } catch (error) {
    await rm(templateDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(firstDataDir, { recursive: true, force: true });
  }
  progress.log(`embedded: first start ready in ${(first.readyMs / 1000).toFixed(2)} s`);
  // The measured start should not queue behind the first one's writes (a 43 MB template, its
  // data directory, the shutdown checkpoint) still being flushed.
  await sleep(plan.idleSettleMs);
  const dataDir = await mkdtemp(join(tmpdir(), "souk-bench-embedded-"));
  progress.log(`embedded: starting the store with a fresh data directory (${dataDir})`);
  const server = await startEmbeddedProcess({ dataDir, env, logFile });
  let result: TopologyResult = {
    topology: "embedded",
    baseUrl: server.baseUrl,
    readyMs: server.readyMs,
    firstReadyMs: first.readyMs,
    startupMs: server.startupMs,
    scenarios: ladders,
  };
  progress.log(
    `embedded: ready on ${server.baseUrl} in ${(server.readyMs / 1000).toFixed(2)} s (startEmbedded ${(server.startupMs / 1000).toFixed(2)} s)`,
  );
  try {
    await sleep(plan.idleSettleMs);
    const idle = await server.memory();
    progress.log(`embedded: idle RSS ${megabytes(idle?.rssBytes ?? 0)} MB`);
    const prepared = await prepare(ctx, "embedded", server.baseUrl);
    result = { ...result, products: prepared.products, productBodyBytes: prepared.productBodyBytes };
    const afterScenarios: ScenarioMemory[] = [];
    await runScenarios(ctx, "embedded", server.baseUrl, undefined, prepared, ladders, async (scenario) => {
      const memory = await server.memory();
      if (memory !== undefined) afterScenarios.push({ scenario, ...memory });
    });
    await sleep(plan.idleSettleMs);
    const after = await server.memory();
    result = {
      ...result,
      memory: {
        kind: "embedded",
        idleRssBytes: idle?.rssBytes ?? 0,
        afterLoadRssBytes: after?.rssBytes ?? 0,
        peakRssBytes: after?.peakRssBytes ?? idle?.peakRssBytes ?? 0,
        afterScenarios,
      },
    };
    progress.log(
      `embedded: RSS ${megabytes(after?.rssBytes ?? 0)} MB after the load, peak ${megabytes(after?.peakRssBytes ?? 0)} MB`,
    );
    await server.stop();
    if (plan.embeddedRestart) {
      const again = await startEmbeddedProcess({ dataDir, env, logFile });
      await again.stop();
      result = { ...result, warmReadyMs: again.readyMs };
      progress.log(`embedded: restart on the seeded data ready in ${(again.readyMs / 1000).toFixed(2)} s`);
    }
  } catch (error) {
    result = { ...result, error: messageOf(error) };
    progress.log(`embedded: stopped early: ${messageOf(error)}`);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(templateDir, { recursive: true, force: true });
  }
  return result;
}

/** The distributed topology: `souk up` with the bench's environment, measured, then `souk down`. */
async function runDistributed(ctx: RunContext): Promise<TopologyResult> {
  const { plan, progress } = ctx;
  const paths = clusterPaths();
  const ladders: LadderResult[] = [];
  const running = await runningCluster(Object.keys(STORE_ENV));
  if (running.some((p) => Object.entries(STORE_ENV).some(([name, value]) => p.env[name] !== value))) {
    // `up` leaves running processes alone: ones started without STORE_ENV would rate-limit the generator.
    progress.log("distributed: the running cluster lacks the bench's environment (rate limits): souk down, then up");
    await clusterDown((line) => progress.status(`down: ${line}`));
  }
  progress.log("distributed: souk up");
  const up = await clusterUp(STORE_ENV, (line) => progress.status(`up: ${line}`));
  const upAt = performance.now();
  let result: TopologyResult = {
    topology: "distributed",
    baseUrl: up.baseUrl,
    readyMs: up.readyMs,
    scenarios: ladders,
  };
  progress.log(`distributed: up in ${(up.readyMs / 1000).toFixed(1)} s on ${up.baseUrl}`);
  // The cluster is shared (one per state directory): if something else restarts it mid-run, what
  // follows measures that cluster, not this run's, and taking it down would break that work.
  const pidsOf = async () => (await clusterMemory()).map((p) => `${p.name}:${p.pid}`).join(",");
  const ours = await pidsOf();
  let stillOurs = true;
  const checkOurs = async () => {
    if ((await pidsOf()) === ours) return;
    stillOurs = false;
    throw new Error("the cluster was restarted by something else during the run (pm2 pids changed)");
  };
  try {
    const caPem = await readFile(paths.caCertPath, "utf8");
    const perProcess = (memory: readonly ClusterProcessMemory[]) =>
      memory.map((p) => `${p.name.replace("souk-", "")} ${megabytes(p.rssBytes)}`).join(", ");
    await sleep(plan.idleSettleMs);
    const justUp = await clusterMemory();
    progress.log(`distributed: RSS per process just after up ${perProcess(justUp)} MB`);
    await sleep(Math.max(0, plan.clusterSettleMs - (performance.now() - upAt)));
    const idle = await clusterMemory();
    progress.log(`distributed: idle RSS per process ${perProcess(idle)} MB`);
    const prepared = await prepare(ctx, "distributed", up.baseUrl, caPem);
    result = { ...result, products: prepared.products, productBodyBytes: prepared.productBodyBytes };
    await runScenarios(ctx, "distributed", up.baseUrl, caPem, prepared, ladders, checkOurs);
    await sleep(plan.idleSettleMs);
    const afterLoad = await clusterMemory();
    result = { ...result, memory: { kind: "distributed", idle, justUp, afterLoad } };
  } catch (error) {
    result = { ...result, error: messageOf(error) };
    progress.log(`distributed: stopped early: ${messageOf(error)}`);
  } finally {
    if (stillOurs) {
      progress.log("distributed: souk down");
      await clusterDown((line) => progress.status(`down: ${line}`));
    } else {
      progress.log("distributed: the cluster is someone else's now: left running");
    }
  }
  return result;
}

/** The machine's limits: NGINX static file (same generator), pgbench (search, checkout SQL), redis-benchmark. */
async function measureLimits(ctx: RunContext, staticFileBytes: number): Promise<LimitsResult> {
  const { plan, progress } = ctx;
  const errors: string[] = [];
  let limits: LimitsResult = { staticFileBytes, errors };
  const backing = loadBackingConfig(process.env);

  const paths = clusterPaths();
  const tls: TlsFiles | undefined = (await exists(paths.serverCertPath))
    ? { certPath: paths.serverCertPath, keyPath: paths.serverKeyPath }
    : undefined;
  try {
    const nginx = await startStaticNginx(staticFileBytes, tls);
    try {
      const caPem = tls === undefined ? undefined : await readFile(paths.caCertPath, "utf8");
      for (const [kind, origin] of [
        ["http", nginx.httpOrigin],
        ["https", nginx.httpsOrigin],
      ] as const) {
        if (origin === undefined) continue;
        progress.log(`limits: NGINX static file of ${staticFileBytes} bytes over ${kind} (${origin}${STATIC_PATH})`);
        const generator = startGenerator({
          origin,
          ...(kind === "https" && caPem !== undefined ? { caPem } : {}),
          connections: plan.connections,
          seed: ctx.options.seed,
          staticPath: STATIC_PATH,
        });
        try {
          const ladder = await runLadder(generator, "static", ladderFor(plan, "static"), progress, `nginx ${kind}`);
          limits = { ...limits, ...(kind === "http" ? { nginxHttp: ladder } : { nginxHttps: ladder }) };
        } finally {
          await generator.close();
        }
      }
    } finally {
      await nginx.stop();
    }
    if (tls === undefined) errors.push("NGINX over TLS: no development certificate yet (made by `npm run up`)");
  } catch (error) {
    errors.push(`NGINX static file: ${messageOf(error)}`);
    progress.log(`limits: NGINX static file failed: ${messageOf(error)}`);
  }

  try {
    const server = { host: LOOPBACK, port: backing.SOUK_PG_PORT, user: PG_USER, password: PG_PASSWORD };
    if (!(await servicesSeeded(server))) {
      progress.log("limits: the services' databases are not seeded yet: souk up, then down, to migrate and seed them");
      await clusterUp(STORE_ENV, (line) => progress.status(`up: ${line}`));
      await clusterDown((line) => progress.status(`down: ${line}`));
    }
    const pgbench = await measurePgbenchLimits({
      server,
      workDir: join(ctx.options.outDir, "pgbench"),
      searchTerms: benchSearchTerms(ctx.options.seed),
      typoThreshold: loadConfig(CatalogConfig, process.env).CATALOG_SEARCH_TYPO_THRESHOLD,
      durationS: plan.pgbench.durationS,
      clients: plan.pgbench.clients,
      log: (line) => progress.log(line),
    });
    limits = { ...limits, pgbench };
  } catch (error) {
    errors.push(`pgbench: ${messageOf(error)}`);
    progress.log(`limits: pgbench failed: ${messageOf(error)}`);
  }

  try {
    const redis = await measureRedisLimit(LOOPBACK, backing.SOUK_REDIS_PORT, plan.redisRequests);
    limits = { ...limits, redis };
    progress.log(`limits: redis-benchmark ${redis.results.map((r) => `${r.test} ${Math.round(r.rps)}/s`).join(", ")}`);
  } catch (error) {
    errors.push(`redis-benchmark: ${messageOf(error)}`);
    progress.log(`limits: redis-benchmark failed: ${messageOf(error)}`);
  }
  return limits;
}

async function run(argv: string[]): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const options = parseBenchArgs(argv, REPO_ROOT, startedAt);
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const basePlan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const plan: BenchPlan = {
    ...basePlan,
    ...(options.scenarios === undefined ? {} : { scenarios: options.scenarios }),
    ...(options.storeStepMs === undefined ? {} : { storeStepMs: options.storeStepMs }),
  };
  const progress = createProgress();
  const logsDir = join(options.outDir, "logs");
  await mkdir(logsDir, { recursive: true });
  const ctx: RunContext = { options, plan, progress, runId: Date.now().toString(36), logsDir };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    totalMemoryBytes: totalmem(),
    node: process.version,
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
  progress.log(
    `bench: ${options.quick ? "quick" : "full"} run of ${options.topologies.join(" and ")} on ${machine.cpus} × ${machine.cpuModel}; ` +
      `results in ${options.outDir}`,
  );
  // The backing services start when the first thing that needs them does (the distributed
  // topology, the limits): the embedded store needs none, and a JVM and an Erlang VM warming up
  // beside it cost its measured starts 0.7-3.5 s.
  let servicesStarted: Promise<void> | undefined;
  const ensureServices = () =>
    (servicesStarted ??= (async () => {
      progress.log("bench: backing services (npm run services)");
      await startBackingServices((line) => progress.status(`services: ${line}`));
    })());

  const topologies: TopologyResult[] = [];
  let limits: LimitsResult = { errors: ["not measured (the run stopped before the limits)"] };
  /** Writes results.json, summary.md and the charts as they stand (after each phase: a cut-short run keeps its part). */
  const write = async (): Promise<BenchResults> => {
    const results: BenchResults = {
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wallTimeMs: Math.round(performance.now() - started),
      quick: options.quick,
      seed: options.seed,
      machine,
      plan,
      storeEnv: STORE_ENV,
      limits,
      topologies,
      targets: computeTargets(limits, topologies),
    };
    const charts = buildCharts(results);
    await mkdir(join(options.outDir, "charts"), { recursive: true });
    for (const chart of charts) await writeFile(join(options.outDir, "charts", chart.file), chart.svg);
    await writeFile(join(options.outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(options.outDir, "summary.md"), renderSummary(results, charts));
    return results;
  };

  for (const topology of options.topologies) {
    if (topology === "distributed") await ensureServices();
    topologies.push(topology === "embedded" ? await runEmbedded(ctx) : await runDistributed(ctx));
    await write();
  }
  const staticFileBytes =
    topologies.find((t) => t.productBodyBytes !== undefined)?.productBodyBytes ?? FALLBACK_PRODUCT_BYTES;
  if (!options.skipLimits) await ensureServices();
  limits = options.skipLimits ? { errors: ["not measured (--no-limits)"] } : await measureLimits(ctx, staticFileBytes);
  progress.done();
  const results = await write();
  // Only a whole run (both topologies, every scenario, the limits, the plan's steps) replaces the copy kept in git.
  const wholeRun =
    options.topologies.length === 2 &&
    options.scenarios === undefined &&
    !options.skipLimits &&
    options.storeStepMs === undefined;
  if (!options.quick && options.defaultOut && wholeRun) {
    const latest = join(REPO_ROOT, "bench", "results", "latest");
    await rm(latest, { recursive: true, force: true });
    await mkdir(latest, { recursive: true });
    for (const name of ["results.json", "summary.md", "charts"]) {
      await cp(join(options.outDir, name), join(latest, name), { recursive: true });
    }
  }

  for (const target of results.targets) {
    progress.log(
      `${verdictMark(target.pass)}  ${target.topology}: ${target.name}: ${formatMeasured(target)} (${target.comparison} ${target.target})`,
    );
  }
  progress.log(`bench: done in ${(results.wallTimeMs / 1000).toFixed(0)} s — ${join(options.outDir, "summary.md")}`);
  const failed = topologies.filter((t) => t.error !== undefined);
  // A run that could not measure is a failure; a missed target is a finding, not a failure (CI smoke).
  return failed.length > 0 ? 1 : 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof BenchUsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${BENCH_USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
