// `npm run services [start|stop|restart|status] [name]`: the backing services of the local
// distributed topology — PostgreSQL (a database per service), Redis, NGINX, Kafka, RabbitMQ — on
// loopback, idempotently; all of them, or one (a chaos test restarts one broker).
import { reserveLocalPorts, souksFixedPorts } from "./reserved-ports.ts";
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "@souk/platform";
import { loadBackingConfig, REPO_ROOT, type BackingConfig } from "./backing.config.ts";
import {
  formatDuration,
  ServicesError,
  stateLayout,
  type BackingContext,
  type BackingService,
  type BackingServiceFactory,
  type ServiceStatus,
} from "./backing-service.ts";
import { composeRuntime, dockerEngineAnswers } from "./compose.runtime.ts";
import { installDebianPackages } from "./debian-packages.ts";
import { kafkaService } from "./kafka.backing.ts";
import { nginxService, reloadNginx } from "./nginx.backing.ts";
import { postgresService } from "./postgres.backing.ts";
import { withStateLock } from "./process.runner.ts";
import { rabbitmqService } from "./rabbitmq.backing.ts";
import { redisService } from "./redis.backing.ts";

/** The URLs of what `start` brings up (see backing.config.ts): for the launcher and the tests. */
export { backingServiceUrls, type BackingServiceUrls } from "./backing.config.ts";

/**
 * Every backing service (output order; stop runs in reverse). They do not depend on each other:
 * `start` brings them up concurrently.
 */
const BACKING_SERVICES: readonly BackingServiceFactory[] = [
  postgresService,
  redisService,
  nginxService,
  kafkaService,
  rabbitmqService,
];

/** The names `services <action> <name>` accepts, in `BACKING_SERVICES` order. */
export const BACKING_SERVICE_NAMES = ["postgres", "redis", "nginx", "kafka", "rabbitmq"] as const;

const ACTIONS = ["start", "stop", "restart", "status"] as const;
type Action = (typeof ACTIONS)[number];

/** Where progress and results go (one line per call, no trailing newline). */
export interface ServicesOutput {
  log(line: string): void;
}

/** The help text of `npm run services`. */
export const SERVICES_USAGE = `Usage: npm run services [-- start|stop|restart|status [NAME]]

  start    (default) install what is missing, start PostgreSQL, Redis, NGINX, Kafka (KRaft)
           and RabbitMQ on 127.0.0.1, create a database per service; does nothing for what
           already runs
  stop     stop them cleanly (data is kept); fine when already stopped
  restart  stop, then start
  status   say which are up, with their URLs (exit code 3 when any is down)

NAME (postgres, redis, nginx, kafka or rabbitmq) limits the command to that one service.

Runs them with Docker Compose (deploy/compose/compose.yaml) when a Docker engine answers,
otherwise directly: Debian packages (apt-get installs missing ones when run as root), and
Kafka's jars from Maven Central (into Maven's local repository, on the first start).

Environment:
  SOUK_SERVICES_DIR           state, data and logs (default: <repo>/.souk-services)
  SOUK_PG_PORT                PostgreSQL port (default 55432)
  SOUK_REDIS_PORT             Redis port (default 56379)
  SOUK_NGINX_PORT             NGINX health server port (default 58080)
  SOUK_KAFKA_PORT             Kafka broker port (default 59092)
  SOUK_KAFKA_CONTROLLER_PORT  Kafka KRaft controller port (default 59093)
  SOUK_RABBITMQ_PORT          RabbitMQ AMQP port (default 55672)
  SOUK_RABBITMQ_DIST_PORT     RabbitMQ Erlang distribution port (default 55673)
  SOUK_RABBITMQ_EPMD_PORT     port of RabbitMQ's epmd (default 54369)
  SOUK_SERVICES_RUNTIME       auto | local | compose (default auto)
  SOUK_SERVICES_TIMEOUT_MS    longest wait for one service to start or stop (default 60000)`;

/** A fresh machine's apt-get install may take minutes; a second `start` waits for the first. */
const LOCK_TIMEOUT_MS = 20 * 60_000;

/**
 * Runs `services <action> [name]` and resolves to the process exit code: 0 done (for `status`:
 * all up), 1 a service failed (the message names it and its log file), 2 bad arguments or
 * environment, 3 `status` found a service down. `argv` is `[]` (start), `[action]` or
 * `[action, name]` with an action of `start|stop|restart|status` and a name of
 * `BACKING_SERVICE_NAMES`, or `["--help"]`. `env` (default: this process's) holds the variables
 * of `SERVICES_USAGE`.
 *
 * @throws only on a bug; every expected failure is a message on `out` and a non-zero code.
 */
export async function runServicesCommand(
  argv: string[],
  out: ServicesOutput,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let action: Action;
  let only: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true || positionals[0] === "help") {
      out.log(SERVICES_USAGE);
      return 0;
    }
    const [verb = "start", name, ...rest] = positionals;
    if (!isAction(verb) || rest.length > 0) throw new Error(`unknown command "${positionals.join(" ")}"`);
    if (name !== undefined && !(BACKING_SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown service "${name}": expected one of ${BACKING_SERVICE_NAMES.join(", ")}`);
    }
    action = verb;
    only = name;
  } catch (error) {
    out.log(`services: ${error instanceof Error ? error.message : String(error)}\n\n${SERVICES_USAGE}`);
    return 2;
  }

  let config: BackingConfig;
  try {
    config = loadBackingConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.log(`services: ${error.message}`);
    return 2;
  }

  const ctx = createContext(config, out);
  const all = BACKING_SERVICES.map((create) => create(ctx));
  const services = only === undefined ? all : all.filter((service) => service.name === only);
  try {
    const runtime = await chooseRuntime(config);
    const what = only === undefined ? action : `${action} ${only}`;
    out.log(`services: ${what} — state in ${ctx.layout.root}; runtime: ${RUNTIME_DESCRIPTIONS[runtime]}`);
    const scope = { runtime, services, all: only === undefined };
    if (action === "start") await start(ctx, scope);
    if (action === "stop") await stop(ctx, scope);
    if (action === "restart") await restart(ctx, scope);
    if (action === "status") return (await status(ctx, scope)) ? 0 : 3;
    return 0;
  } catch (error) {
    if (!(error instanceof ServicesError)) throw error;
    out.log(`services: ${error.message}`);
    return 1;
  }
}

/**
 * The directory whose `*.conf` files NGINX includes in its `http {}` block — where the launcher
 * writes its upstreams before `reloadBackingNginx` — for the state directory of `env`.
 *
 * @throws ConfigError naming every bad variable.
 */
export function nginxConfDir(env: Record<string, string | undefined> = process.env): string {
  return stateLayout(loadBackingConfig(env).SOUK_SERVICES_DIR).nginxConfD;
}

/**
 * Tests NGINX's config (main + every conf.d file) and, when valid, reloads the running NGINX
 * (new workers, no dropped connections) — on either runtime. For the launcher, after it changed
 * `nginxConfDir(env)`.
 *
 * @throws ServicesError with NGINX's message (naming the broken file and line) when the config is
 *   invalid or NGINX is not running; ConfigError for a bad variable.
 */
export async function reloadBackingNginx(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadBackingConfig(env);
  const ctx = createContext(config, { log: () => {} });
  if ((await chooseRuntime(config)) === "compose") await composeRuntime(ctx, []).reloadNginx();
  else await reloadNginx(ctx);
}

function isAction(word: string): word is Action {
  return (ACTIONS as readonly string[]).includes(word);
}

type Runtime = "local" | "compose";

/** What one command acts on: some or `all` of the services, through one runtime. */
interface Scope {
  readonly runtime: Runtime;
  readonly services: readonly BackingService[];
  readonly all: boolean;
}

const RUNTIME_DESCRIPTIONS: Record<Runtime, string> = {
  local: "local (daemons started directly on 127.0.0.1, no systemd)",
  compose: "Docker Compose (deploy/compose/compose.yaml)",
};

async function chooseRuntime(config: BackingConfig): Promise<Runtime> {
  if (config.SOUK_SERVICES_RUNTIME !== "auto") return config.SOUK_SERVICES_RUNTIME;
  return (await dockerEngineAnswers()) ? "compose" : "local";
}

function createContext(config: BackingConfig, out: ServicesOutput): BackingContext {
  return {
    config,
    layout: stateLayout(config.SOUK_SERVICES_DIR),
    repoRoot: REPO_ROOT,
    isRoot: process.getuid?.() === 0,
    log: (line) => out.log(line),
    async step(service, label, run) {
      const started = performance.now();
      const result = await run();
      const outcome = typeof result === "string" ? `: ${result}` : "";
      out.log(`  ${service}: ${label}${outcome} (${formatDuration(performance.now() - started)})`);
      return result;
    },
  };
}

/** Creates the state directory; as root it must be traversable by the `postgres` OS user. */
async function createStateDir(ctx: BackingContext): Promise<void> {
  await mkdir(ctx.layout.logs, { recursive: true });
  if (ctx.isRoot) await chmod(ctx.layout.root, 0o755);
}

async function start(ctx: BackingContext, scope: Scope): Promise<void> {
  const started = performance.now();
  await createStateDir(ctx);
  const outcomes = await withStateLock(ctx.layout.root, LOCK_TIMEOUT_MS, () => startLocked(ctx, scope));
  ctx.log(`services: ready in ${formatDuration(performance.now() - started)}`);
  logOutcomes(ctx, scope.services, outcomes);
  ctx.log(`  logs in ${ctx.layout.logs}; NGINX includes ${ctx.layout.nginxConfD}/*.conf`);
}

/** Installs what is missing, then starts every service of `scope` at once; holds the state lock. */
async function startLocked(ctx: BackingContext, { runtime, services }: Scope): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  if (runtime === "compose") {
    await composeRuntime(ctx, services).start();
    for (const service of services) outcomes.set(service.name, "up");
    return outcomes;
  }
  await install(ctx, services);
  ctx.log(
    await reserveLocalPorts(
      souksFixedPorts({
        pg: ctx.config.SOUK_PG_PORT,
        redis: ctx.config.SOUK_REDIS_PORT,
        nginx: ctx.config.SOUK_NGINX_PORT,
        brokers: [
          ctx.config.SOUK_KAFKA_PORT,
          ctx.config.SOUK_KAFKA_CONTROLLER_PORT,
          ctx.config.SOUK_RABBITMQ_PORT,
          ctx.config.SOUK_RABBITMQ_DIST_PORT,
          ctx.config.SOUK_RABBITMQ_EPMD_PORT,
        ],
      }),
    ),
  );
  // Independent servers: a JVM and an Erlang VM booting side by side take about as long as the slower one.
  const results = await Promise.allSettled(services.map((service) => service.start()));
  results.forEach((result, index) => {
    const service = services[index];
    if (service !== undefined && result.status === "fulfilled") outcomes.set(service.name, result.value);
  });
  throwFirstFailure(ctx, results);
  return outcomes;
}

/**
 * The install step: apt-get for missing Debian packages and every service's `fetch` (Kafka's jars
 * from Maven Central) side by side; a service whose own packages are missing fetches after apt-get.
 */
async function install(ctx: BackingContext, services: readonly BackingService[]): Promise<void> {
  const missingPerService = await Promise.all(services.map((service) => service.missingPackages()));
  const missing = [...new Set(missingPerService.flat())];
  if (missing.length > 0) {
    ctx.log(`services: installing ${missing.join(" ")} with apt-get (minutes on a fresh machine)`);
  }
  const apt = installDebianPackages(ctx, missing);
  const fetches = services.map(async (service, index) => {
    if ((missingPerService[index] ?? []).length > 0) await apt;
    await service.fetch?.();
  });
  throwFirstFailure(ctx, await Promise.allSettled([apt, ...fetches]));
  if (missing.length > 0) {
    const still = [...new Set((await Promise.all(services.map((service) => service.missingPackages()))).flat())];
    if (still.length > 0) {
      const aptLog = join(ctx.layout.logs, "apt.log");
      throw new ServicesError("install", `apt-get ran, but ${still.join(", ")} still lacks its programs`, aptLog);
    }
  }
}

/**
 * Rethrows the first failure of `results` after logging the messages of the others, so
 * concurrent steps that fail together are all reported.
 */
function throwFirstFailure(ctx: BackingContext, results: readonly PromiseSettledResult<unknown>[]): void {
  const failures = results.flatMap((result) =>
    result.status === "rejected"
      ? [result.reason instanceof Error ? result.reason : new Error(String(result.reason))]
      : [],
  );
  const [first, ...others] = failures;
  if (first === undefined) return;
  // The same apt-get failure reaches every fetch that waited for it: report it once.
  for (const other of others) if (other !== first) ctx.log(`services: ${other.message}`);
  throw first;
}

async function stop(ctx: BackingContext, scope: Scope): Promise<void> {
  const started = performance.now();
  await createStateDir(ctx);
  await withStateLock(ctx.layout.root, LOCK_TIMEOUT_MS, () => stopLocked(ctx, scope));
  ctx.log(`services: stopped in ${formatDuration(performance.now() - started)}`);
}

/** Stops the services of `scope` one by one, in reverse order; holds the state lock. */
async function stopLocked(ctx: BackingContext, { runtime, services, all }: Scope): Promise<void> {
  if (runtime === "compose") {
    const compose = composeRuntime(ctx, services);
    if ((await (all ? compose.stop() : compose.stopServices())) === "not running") ctx.log("  compose: not running");
    return;
  }
  for (const service of [...services].reverse()) {
    // A service that was stopped already logged its timed step; say so only for the others.
    if ((await service.stop()) === "not running") ctx.log(`  ${service.name}: not running`);
  }
}

/** `stop` then `start` under one hold of the state lock, so no other run slips in between. */
async function restart(ctx: BackingContext, scope: Scope): Promise<void> {
  const started = performance.now();
  await createStateDir(ctx);
  const outcomes = await withStateLock(ctx.layout.root, LOCK_TIMEOUT_MS, async () => {
    await stopLocked(ctx, scope);
    return startLocked(ctx, scope);
  });
  ctx.log(`services: restarted in ${formatDuration(performance.now() - started)}`);
  logOutcomes(ctx, scope.services, outcomes);
}

/** One line per service: name, what `start` did (`started`, `already running`, `up`), URL. */
function logOutcomes(ctx: BackingContext, services: readonly BackingService[], outcomes: Map<string, string>): void {
  for (const service of services) {
    ctx.log(`  ${service.name.padEnd(9)} ${(outcomes.get(service.name) ?? "").padEnd(16)} ${service.url}`);
  }
}

/** Logs one line per service; true when every one is up. */
async function status(ctx: BackingContext, { runtime, services }: Scope): Promise<boolean> {
  const compose = runtime === "compose" ? composeRuntime(ctx, services) : undefined;
  const statuses: ServiceStatus[] = await Promise.all(
    services.map((service) => (compose === undefined ? service.status() : compose.status(service))),
  );
  services.forEach((service, index) => {
    const state = statuses[index];
    if (state === undefined) return;
    ctx.log(`  ${service.name.padEnd(9)} ${(state.up ? "up" : "down").padEnd(5)} ${service.url}  (${state.detail})`);
  });
  return statuses.every((state) => state.up);
}
