// `npm run up` / `npm run down` / `npx souk logs`: the whole store as separate processes — the
// local twin of the Kubernetes deployment. pm2 runs one process per service plus two replicas of
// the gateway and of orders; the backing NGINX terminates TLS on https://127.0.0.1:8443 in front of
// the gateway replicas and balances gRPC calls across the orders replicas.
import { spawn } from "node:child_process";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { ConfigError } from "@souk/platform";
import { loadBackingConfig, REPO_ROOT, urlsOf } from "../backing/backing.config.ts";
import { buildBundle } from "../bundle.ts";
import { formatDuration, ServicesError, stateLayout } from "../backing/backing-service.ts";
import { tailOfFile, withStateLock } from "../backing/process.runner.ts";
import { reloadBackingNginx, runServicesCommand } from "../backing/services.command.ts";
import type { ServiceName } from "../distributed/config.ts";
import { logHistory } from "./cluster.logs.ts";
import { readinessChecks, waitUntilReady } from "./cluster.readiness.ts";
import {
  CLUSTER_HOST,
  clusterProcesses,
  ecosystemOf,
  EDGE_PORT,
  EDGE_URL,
  GATEWAY_REPLICA_PORTS,
  loadClusterConfig,
  ORDERS_BALANCER_PORT,
  ORDERS_REPLICA_PORTS,
  type ClusterConfig,
  type ClusterProcess,
} from "./cluster.topology.ts";
import { ensureDevCertificates } from "./dev-tls.certificates.ts";
import { EDGE_CONF_FILES, removeEdgeConfig, writeEdgeConfig } from "./edge.nginx.ts";
import { pm2Runner, type Pm2, type Pm2Process } from "./pm2.runner.ts";

/** Where progress and results go (one line per call, no trailing newline). */
export interface ClusterOutput {
  log(line: string): void;
}

/** The help text of `npm run up` / `npm run down` / `npx souk logs`. */
export const CLUSTER_USAGE = `Usage: npm run up | npm run down | npx souk logs [service] [--lines N] [--no-follow]

  up     start the whole store as separate processes and wait until every one is ready:
           - the backing services (npm run services start)
           - a development CA and TLS certificate (made on first run; trust <state>/tls/ca.crt)
           - NGINX: TLS on ${EDGE_URL} over gateway replicas ${GATEWAY_REPLICA_PORTS.join(", ")},
             gRPC on ${CLUSTER_HOST}:${ORDERS_BALANCER_PORT} over orders replicas ${ORDERS_REPLICA_PORTS.join(", ")}
           - pm2: identity, catalog, cart, inventory, payments (gRPC 50051-50055), 2 × orders, 2 × gateway
         Idempotent: a running process is left alone, unless its definition (environment) changed,
         then it is restarted; a process that crash-loops fails \`up\` and is stopped.
  down   stop those processes (SIGTERM: they drain) and remove Souk's NGINX config; the backing
         services keep running (npm run services -- stop stops them)
  logs   every process's log, each line prefixed by its name: the last N lines (--lines, 30),
         then new ones as they come (pm2 logs) unless --no-follow; a service name (gateway,
         orders, …) or a process name (souk-gateway-1) shows only those

Environment: LOG_LEVEL (info), SOUK_SHUTDOWN_TIMEOUT_MS (10000; pm2 kills 5 s after),
SOUK_UP_TIMEOUT_MS (90000, the longest wait for readiness), the variables of npm run services
(SOUK_SERVICES_DIR holds pm2's home, the certificates and the logs) and every process's own.`;

/** What `clusterUp` gives a client of the cluster. */
export interface ClusterHandle {
  /** `https://127.0.0.1:8443`. */
  readonly baseUrl: string;
  /** The development CA to trust (PEM), e.g. `new Agent({ connect: { ca } })` or `https.request({ ca })`. */
  readonly caCertPath: string;
}

/** A process of a running cluster, as `up` reports it. */
export interface ClusterProcessStatus {
  readonly name: string;
  readonly pid: number;
  /** `grpc 127.0.0.1:50052` or `http 127.0.0.1:8081`. */
  readonly listens: string;
  readonly status: string;
  readonly restarts: number;
  /** Resident set size in bytes (pm2's last sample). */
  readonly memoryBytes: number;
}

/** What `clusterUp` reports besides the handle. */
export interface ClusterUpResult extends ClusterHandle {
  /** Milliseconds from the call to every check passing. */
  readonly readyMs: number;
  readonly processes: readonly ClusterProcessStatus[];
}

/** Options of `clusterUp` / `clusterDown`. */
export interface ClusterOptions {
  /** Environment (default: this process's), as for `npm run up`. */
  readonly env?: Record<string, string | undefined>;
  /** Progress lines (default: kept, and quoted in a thrown error). */
  readonly log?: (line: string) => void;
}

/** Everything one state directory's cluster is made of. */
interface ClusterContext {
  readonly env: Record<string, string | undefined>;
  readonly config: ClusterConfig;
  readonly clusterDir: string;
  readonly tlsDir: string;
  readonly logsDir: string;
  readonly confD: string;
  readonly ecosystemPath: string;
  readonly processes: readonly ClusterProcess[];
  readonly pm2: Pm2;
  log(line: string): void;
}

/** The repo's Node 24: the interpreter of every process, and of pm2. */
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
/** A second `up` or a `down` waits this long for one in progress. */
const LOCK_TIMEOUT_MS = 5 * 60_000;
/** A process restarted this many times during one `up` is crash-looping: `up` stops waiting. */
const CRASH_LOOP_RESTARTS = 3;

/**
 * Builds the context of the cluster of `env`'s state directory.
 *
 * @throws ConfigError naming every bad variable.
 */
function clusterContext(env: Record<string, string | undefined>, log: (line: string) => void): ClusterContext {
  const backing = loadBackingConfig(env);
  const config = loadClusterConfig(env);
  const layout = stateLayout(backing.SOUK_SERVICES_DIR);
  const urls = urlsOf(backing);
  const databaseUrl = (service: ServiceName) =>
    env[`${service.toUpperCase()}_DATABASE_URL`] === undefined && env["DATABASE_URL"] === undefined
      ? urls.databaseUrl(service)
      : undefined;
  const clusterDir = join(layout.root, "cluster");
  return {
    env,
    config,
    clusterDir,
    tlsDir: join(layout.root, "tls"),
    logsDir: join(layout.logs, "cluster"),
    confD: layout.nginxConfD,
    ecosystemPath: join(clusterDir, "ecosystem.json"),
    processes: clusterProcesses({
      config,
      databaseUrl,
      redisUrl: env["REDIS_URL"] === undefined ? urls.redisUrl : undefined,
    }),
    pm2: pm2Runner({ home: join(layout.root, "pm2"), node: NODE, repoRoot: REPO_ROOT, env }),
    log,
  };
}

/** Throws a ServicesError naming `what` unless 127.0.0.1:`port` is free to listen on. */
async function requirePortFree(what: string, port: number): Promise<void> {
  const problem = await new Promise<string | undefined>((resolvePromise) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolvePromise(error.code ?? error.message));
    server.listen({ host: CLUSTER_HOST, port, exclusive: true }, () => server.close(() => resolvePromise(undefined)));
  });
  if (problem === undefined) return;
  const why = problem === "EADDRINUSE" ? "is in use by another program" : `cannot be listened on (${problem})`;
  throw new ServicesError(
    what,
    `${CLUSTER_HOST}:${port} ${why}; stop it (is \`npm start\` or \`souk start\` running?)`,
  );
}

const fileExists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The last lines each of `names`' processes wrote (stderr, then stdout), for an error message. */
async function logTails(ctx: ClusterContext, names: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const name of names) {
    for (const kind of ["error", "out"]) {
      const path = join(ctx.logsDir, `${name}.${kind}.log`);
      const tail = await tailOfFile(path, 8);
      if (tail !== "") parts.push(`--- ${path}\n${tail}`);
    }
  }
  return parts.join("\n");
}

/** The apps of the ecosystem file an earlier `up` wrote, name → definition as JSON (empty when none). */
async function previousApps(path: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch {
    return new Map();
  }
  const apps = (parsed as { apps?: unknown }).apps;
  if (!Array.isArray(apps)) return new Map();
  return new Map(
    apps.map((app: unknown) => [String((app as { name?: unknown }).name), JSON.stringify(app)] as [string, string]),
  );
}

/** The processes of the cluster as pm2 reports them, in topology order. */
function statuses(ctx: ClusterContext, listed: readonly Pm2Process[]): ClusterProcessStatus[] {
  return ctx.processes.map((process) => {
    const found = listed.find((p) => p.name === process.name);
    return {
      name: process.name,
      pid: found?.pid ?? 0,
      listens: `${process.protocol} ${CLUSTER_HOST}:${process.port}`,
      status: found?.status ?? "absent",
      restarts: found?.restarts ?? 0,
      memoryBytes: found?.memoryBytes ?? 0,
    };
  });
}

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** The table `up` prints. */
function formatProcessTable(rows: readonly ClusterProcessStatus[]): string[] {
  const header = `  ${"process".padEnd(16)} ${"pid".padEnd(8)} ${"listens".padEnd(22)} ${"status".padEnd(8)} ${"restarts".padEnd(9)} memory`;
  return [
    header,
    ...rows.map(
      (row) =>
        `  ${row.name.padEnd(16)} ${String(row.pid || "-").padEnd(8)} ${row.listens.padEnd(22)} ${row.status.padEnd(8)} ${String(row.restarts).padEnd(9)} ${megabytes(row.memoryBytes)}`,
    ),
    `  ${"nginx".padEnd(16)} ${"".padEnd(8)} https ${CLUSTER_HOST}:${EDGE_PORT} → gateway ${GATEWAY_REPLICA_PORTS.join(", ")}; grpc ${CLUSTER_HOST}:${ORDERS_BALANCER_PORT} → orders ${ORDERS_REPLICA_PORTS.join(", ")}`,
  ];
}

/**
 * Brings the cluster up (see CLUSTER_USAGE) and resolves once every readiness check passed.
 *
 * @throws ServicesError naming what failed (the backing services, openssl, NGINX, pm2, or a
 *   process that never became ready, with the last lines of its logs); ConfigError.
 */
async function up(ctx: ClusterContext): Promise<ClusterUpResult> {
  const started = performance.now();
  const backingCode = await runServicesCommand(["start"], { log: (line) => ctx.log(line) }, ctx.env);
  if (backingCode !== 0) {
    throw new ServicesError("services", `\`npm run services start\` failed (exit code ${backingCode}; see above)`);
  }
  await mkdir(ctx.clusterDir, { recursive: true });
  await mkdir(ctx.logsDir, { recursive: true });

  return withStateLock(ctx.clusterDir, LOCK_TIMEOUT_MS, async () => {
    const certificates = await ensureDevCertificates(ctx.tlsDir);
    ctx.log(
      certificates.made === "nothing"
        ? `up: TLS certificate for ${CLUSTER_HOST} and localhost in ${ctx.tlsDir}`
        : `up: made the development ${certificates.made} in ${ctx.tlsDir} (trust ${certificates.caCertPath})`,
    );

    // Like `kubectl apply`: start what does not run, restart what runs with another definition
    // (an environment variable changed), leave the rest alone.
    // Every process runs the bundle (bundle.ts), built afresh from the working tree.
    const bundle = await buildBundle();
    ctx.log(
      `up: bundled ${bundle.entry} (${bundle.files} files, ${(bundle.bytes / 1e6).toFixed(1)} MB) in ${(bundle.ms / 1000).toFixed(1)} s`,
    );
    const ecosystem = ecosystemOf(ctx.processes, ctx.config, {
      repoRoot: REPO_ROOT,
      script: bundle.entry,
      node: NODE,
      logsDir: ctx.logsDir,
    });
    const previous = await previousApps(ctx.ecosystemPath);
    const before = await ctx.pm2.list();
    const online = new Set(before.filter((p) => p.status === "online").map((p) => p.name));
    const changed = new Set(
      ecosystem.apps
        .filter((app) => online.has(app.name) && previous.get(app.name) !== JSON.stringify(app))
        .map((app) => app.name),
    );
    const toStart = ctx.processes.filter((process) => !online.has(process.name) || changed.has(process.name));
    for (const process of toStart) if (!changed.has(process.name)) await requirePortFree(process.name, process.port);
    const edgeConfigured = await fileExists(join(ctx.confD, EDGE_CONF_FILES[0]));
    if (!edgeConfigured) {
      await requirePortFree("nginx", EDGE_PORT);
      await requirePortFree("nginx", ORDERS_BALANCER_PORT);
    }

    await writeEdgeConfig(REPO_ROOT, ctx.confD, certificates);
    await reloadBackingNginx(ctx.env);
    ctx.log(
      `up: NGINX serves ${EDGE_URL} and grpc ${CLUSTER_HOST}:${ORDERS_BALANCER_PORT} (${EDGE_CONF_FILES.join(", ")})`,
    );

    await writeFile(ctx.ecosystemPath, `${JSON.stringify(ecosystem, null, 2)}\n`);
    const startedProcesses = performance.now();
    const names = toStart.map((process) => process.name);
    if (names.length > 0) {
      await ctx.pm2.run(["start", ctx.ecosystemPath, "--only", names.join(",")], 120_000);
      const restarted = names.filter((name) => changed.has(name));
      ctx.log(
        `up: pm2 started ${names.filter((name) => !changed.has(name)).join(", ") || "nothing new"}` +
          (restarted.length > 0 ? `; restarted ${restarted.join(", ")} (definition changed)` : "") +
          ` (PM2_HOME ${ctx.pm2.home})`,
      );
    } else {
      ctx.log(`up: every process already runs under pm2 (PM2_HOME ${ctx.pm2.home})`);
    }

    const baseline = new Map(before.map((p) => [p.name, p.restarts]));
    const crashLoop = async (): Promise<string | undefined> => {
      const listed = await ctx.pm2.list();
      for (const process of ctx.processes) {
        const found = listed.find((p) => p.name === process.name);
        const restarts = (found?.restarts ?? 0) - (baseline.get(process.name) ?? 0);
        if (found === undefined || ["errored", "stopped"].includes(found.status) || restarts >= CRASH_LOOP_RESTARTS) {
          const state =
            found === undefined
              ? "is not in pm2's list"
              : `keeps exiting: pm2 restarted it ${restarts} times (now ${found.status})`;
          return `${process.name} ${state}\n${await logTails(ctx, [process.name])}`;
        }
      }
      return undefined;
    };
    const caPem = await readFile(certificates.caCertPath, "utf8");
    const outcome = await waitUntilReady(
      readinessChecks(ctx.processes, caPem),
      ctx.config.SOUK_UP_TIMEOUT_MS,
      crashLoop,
    );
    if (outcome !== undefined) {
      let message: string;
      if ("aborted" in outcome) {
        message = outcome.aborted;
      } else {
        const pendingNames = ctx.processes
          .filter((process) => outcome.pending.some((p) => p.name.startsWith(`${process.name} `)))
          .map((process) => process.name);
        message =
          `not ready ${formatDuration(ctx.config.SOUK_UP_TIMEOUT_MS)} after starting the processes:\n` +
          outcome.pending.map((p) => `  ${p.name}: ${p.reason}`).join("\n") +
          `\n${await logTails(ctx, pendingNames)}`;
      }
      // What this run started must not keep crash-looping with a broken definition: the next
      // `up` starts it afresh (its logs stay in the files; `npx souk logs --no-follow`).
      if (names.length > 0) await ctx.pm2.run(["delete", ...names], ctx.config.SOUK_SHUTDOWN_TIMEOUT_MS + 30_000);
      throw new ServicesError("up", `${message}\n(stopped what this run started: ${names.join(", ") || "nothing"})`);
    }
    const readyMs = performance.now() - started;
    const processes = statuses(ctx, await ctx.pm2.list());
    ctx.log(
      `Souk is up on ${EDGE_URL} in ${formatDuration(readyMs)} ` +
        `(processes ready ${formatDuration(performance.now() - startedProcesses)} after start)`,
    );
    for (const line of formatProcessTable(processes)) ctx.log(line);
    ctx.log(`  trust the development CA: curl --cacert ${certificates.caCertPath} ${EDGE_URL}/readyz`);
    ctx.log(`  logs: npx souk logs (every process, each line prefixed by its name); files in ${ctx.logsDir}`);
    ctx.log(`  pm2 itself: PM2_HOME=${ctx.pm2.home} npx pm2 ls (or monit, describe <name>)`);
    ctx.log("  stop: npm run down");
    return { baseUrl: EDGE_URL, caCertPath: certificates.caCertPath, readyMs, processes };
  });
}

/**
 * Takes the cluster down: removes Souk's NGINX files and reloads NGINX (no new traffic), then
 * deletes every pm2 process (SIGTERM; each drains, SIGKILL after its kill_timeout) and stops
 * pm2's daemon. The backing services keep running.
 *
 * @throws ServicesError when pm2 fails; ConfigError.
 */
async function down(ctx: ClusterContext): Promise<void> {
  const started = performance.now();
  await mkdir(ctx.clusterDir, { recursive: true });
  await withStateLock(ctx.clusterDir, LOCK_TIMEOUT_MS, async () => {
    const configured = await fileExists(join(ctx.confD, EDGE_CONF_FILES[0]));
    await removeEdgeConfig(ctx.confD);
    if (configured) {
      try {
        await reloadBackingNginx(ctx.env);
        ctx.log(`down: NGINX no longer serves ${EDGE_URL} nor grpc ${CLUSTER_HOST}:${ORDERS_BALANCER_PORT}`);
      } catch (error) {
        if (!(error instanceof ServicesError)) throw error;
        // NGINX stopped (or broken by another file): it serves none of Souk's ports once restarted.
        ctx.log(`down: removed Souk's NGINX files; NGINX was not reloaded (${error.message})`);
      }
    }
    if (!(await ctx.pm2.daemonRunning())) {
      ctx.log("down: no process runs (pm2 is not running)");
      return;
    }
    const listed = await ctx.pm2.list();
    // Each process drains in parallel (PM2_CONCURRENT_ACTIONS); allow the slowest its kill_timeout.
    const waitMs = ctx.config.SOUK_SHUTDOWN_TIMEOUT_MS + 30_000;
    if (listed.length > 0) await ctx.pm2.run(["delete", "all"], waitMs);
    await ctx.pm2.run(["kill"], 30_000);
    ctx.log(`down: stopped ${listed.length} processes and pm2 (${formatDuration(performance.now() - started)})`);
  });
}

/** A bad argument found after parsing (exit code 2, with the usage). */
class UsageError extends Error {}

/** Parses `--help` only; anything else is an error. */
function helpOnly(argv: string[]): boolean {
  const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, strict: true });
  return values.help === true;
}

/** Runs `body` as a command: 0 done, 1 a failure it names, 2 bad arguments or environment. */
async function asCommand(
  name: string,
  argv: string[],
  out: ClusterOutput,
  body: () => Promise<void>,
  parse: (argv: string[]) => boolean = helpOnly,
): Promise<number> {
  try {
    if (parse(argv)) {
      out.log(CLUSTER_USAGE);
      return 0;
    }
  } catch (error) {
    out.log(`${name}: ${error instanceof Error ? error.message : String(error)}\n\n${CLUSTER_USAGE}`);
    return 2;
  }
  try {
    await body();
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      out.log(`${name}: ${error.message}\n\n${CLUSTER_USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      out.log(`${name}: ${error.message}`);
      return 2;
    }
    if (!(error instanceof ServicesError)) throw error;
    // A ServicesError names what failed (`pm2: …`, `souk-gateway-1: …`); `up: up: …` says nothing more.
    out.log(error.message.startsWith(`${name}: `) ? error.message : `${name}: ${error.message}`);
    return 1;
  }
}

/**
 * `npm run up` (`souk up`, argv: the arguments after `up`; only `--help`): brings the cluster up
 * and resolves to the exit code — 0 ready, 1 something failed (the message names it, with the
 * last log lines of a process that did not become ready), 2 bad arguments or environment.
 *
 * @throws only on a bug.
 */
export async function runUpCommand(
  argv: string[],
  out: ClusterOutput,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  return asCommand("up", argv, out, async () => {
    await up(clusterContext(env, (line) => out.log(line)));
  });
}

/**
 * `npm run down` (`souk down`): stops the cluster's processes and removes its NGINX config;
 * resolves to 0 (also when nothing ran), 1 when pm2 failed, 2 for bad arguments or environment.
 *
 * @throws only on a bug.
 */
export async function runDownCommand(
  argv: string[],
  out: ClusterOutput,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  return asCommand("down", argv, out, () => down(clusterContext(env, (line) => out.log(line))));
}

/**
 * `npx souk logs [service|process] [--lines N] [--no-follow]`: the cluster's logs, every line
 * prefixed by its process name (`souk-gateway-1 | {…}`): the last N lines of every process's log
 * files merged in time order (default 30), then — unless `--no-follow`, or when the cluster is
 * not running — new lines as they come (`pm2 logs`) until interrupted. A service name
 * (`gateway`) selects all its replicas. Resolves to 0, or 2 for bad arguments.
 *
 * @throws only on a bug.
 */
export async function runLogsCommand(
  argv: string[],
  out: ClusterOutput,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let options = { lines: 30, follow: true, selector: undefined as string | undefined };
  const parse = (args: string[]): boolean => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        lines: { type: "string", short: "n", default: "30" },
        "no-follow": { type: "boolean" },
      },
    });
    if (values.help === true) return true;
    if (!/^\d+$/.test(values.lines)) throw new Error(`--lines takes a number, not "${values.lines}"`);
    if (positionals.length > 1) throw new Error(`one service or process at most, not "${positionals.join(" ")}"`);
    options = { lines: Number(values.lines), follow: values["no-follow"] !== true, selector: positionals[0] };
    return false;
  };
  return asCommand(
    "logs",
    argv,
    out,
    async () => {
      const ctx = clusterContext(env, (line) => out.log(line));
      const { selector } = options;
      const names = ctx.processes
        .filter((p) => selector === undefined || p.service === selector || p.name === selector)
        .map((p) => p.name);
      if (names.length === 0) {
        const known = [...new Set(ctx.processes.flatMap((p) => [p.service, p.name]))].join(", ");
        throw new UsageError(`no process "${selector}" (one of ${known})`);
      }
      for (const line of await logHistory(ctx.logsDir, names, options.lines)) out.log(line);
      if (!options.follow) return;
      if (!(await ctx.pm2.daemonRunning())) {
        out.log("logs: the cluster is not running (npm run up), so there is nothing to follow");
        return;
      }
      await followPm2Logs(ctx, selector === undefined ? undefined : names, out);
    },
    parse,
  );
}

/**
 * Follows `pm2 logs --lines 0` (new lines of every process, and of pm2 itself) until it ends (an
 * interrupt), keeping only the processes `only` when given (pm2 follows one name or all, not a
 * pattern), re-prefixed as the history's lines (`7|souk-gateway-1 | …` → `souk-gateway-1 | …`).
 */
async function followPm2Logs(
  ctx: ClusterContext,
  only: readonly string[] | undefined,
  out: ClusterOutput,
): Promise<void> {
  const width = Math.max(...ctx.processes.map((p) => p.name.length));
  const child = spawn(NODE, [join(REPO_ROOT, "node_modules", "pm2", "bin", "pm2"), "logs", "--lines", "0"], {
    cwd: REPO_ROOT,
    env: { ...ctx.env, PM2_HOME: ctx.pm2.home, FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const relay = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolvePromise) => {
      const reader = createInterface({ input: stream, crlfDelay: Infinity });
      reader.on("line", (line) => {
        const prefixed = /^\d+\|(\S+?)\s*\| (.*)$/.exec(line);
        const name = prefixed?.[1] ?? "PM2";
        if (only !== undefined && !only.includes(name)) return;
        out.log(prefixed === null ? line : `${name.padEnd(width)} | ${prefixed[2] ?? ""}`);
      });
      reader.on("close", resolvePromise);
    });
  const exited = new Promise<void>((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("exit", () => resolvePromise());
  });
  await Promise.all([relay(child.stdout), relay(child.stderr), exited]);
}

/**
 * For tests: `npm run up` in-process. Resolves once the cluster is ready (idempotent: an already
 * running cluster is only checked).
 *
 * @throws Error whose message names what failed and ends with the progress lines (its `cause`
 *   is the ServicesError; when `options.log` is given, the ServicesError itself), or ConfigError —
 *   never resolves to a cluster that is not ready.
 */
export async function clusterUp(options: ClusterOptions = {}): Promise<ClusterUpResult> {
  const kept: string[] = [];
  const log = options.log ?? ((line: string) => kept.push(line));
  try {
    return await up(clusterContext(options.env ?? process.env, log));
  } catch (error) {
    if (error instanceof ServicesError && kept.length > 0) {
      throw new Error(`${error.message}\nprogress:\n${kept.join("\n")}`, { cause: error });
    }
    throw error;
  }
}

/**
 * For tests: `npm run down` in-process.
 *
 * @throws ServicesError when pm2 fails; ConfigError.
 */
export async function clusterDown(options: ClusterOptions = {}): Promise<void> {
  await down(clusterContext(options.env ?? process.env, options.log ?? (() => {})));
}
