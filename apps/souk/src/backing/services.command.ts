// `npm run services [start|stop|status]`: the backing services of the local distributed
// topology — PostgreSQL (a database per service), Redis, NGINX — on loopback, idempotently.
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
import { nginxService, reloadNginx } from "./nginx.backing.ts";
import { postgresService } from "./postgres.backing.ts";
import { withStateLock } from "./process.runner.ts";
import { redisService } from "./redis.backing.ts";

/** The URLs of what `start` brings up (see backing.config.ts): for the launcher and the tests. */
export { backingServiceUrls, type BackingServiceUrls } from "./backing.config.ts";

/** Every backing service, in start order (stop runs in reverse). Kafka and RabbitMQ join here. */
const BACKING_SERVICES: readonly BackingServiceFactory[] = [postgresService, redisService, nginxService];

/** Where progress and results go (one line per call, no trailing newline). */
export interface ServicesOutput {
  log(line: string): void;
}

/** The help text of `npm run services`. */
export const SERVICES_USAGE = `Usage: npm run services [-- start|stop|status]

  start    (default) install what is missing, start PostgreSQL, Redis and NGINX on 127.0.0.1,
           create a database per service; does nothing for what already runs
  stop     stop them cleanly (data is kept); fine when already stopped
  status   say which are up, with their URLs (exit code 3 when any is down)

Runs them with Docker Compose (deploy/compose/compose.yaml) when a Docker engine answers,
otherwise directly from Debian packages (apt-get installs missing ones when run as root).

Environment:
  SOUK_SERVICES_DIR         state, data and logs (default: <repo>/.souk-services)
  SOUK_PG_PORT              PostgreSQL port (default 55432)
  SOUK_REDIS_PORT           Redis port (default 56379)
  SOUK_NGINX_PORT           NGINX health server port (default 58080)
  SOUK_SERVICES_RUNTIME     auto | local | compose (default auto)
  SOUK_SERVICES_TIMEOUT_MS  longest wait for one service to start or stop (default 60000)`;

/** A fresh machine's apt-get install may take minutes; a second `start` waits for the first. */
const LOCK_TIMEOUT_MS = 20 * 60_000;

/**
 * Runs `services <action>` and resolves to the process exit code: 0 done (for `status`: all up),
 * 1 a service failed (the message names it and its log file), 2 bad arguments or environment,
 * 3 `status` found a service down. `argv` is `[]` (start), `["start"]`, `["stop"]`, `["status"]`
 * or `["--help"]`. `env` (default: this process's) holds the variables of `SERVICES_USAGE`.
 *
 * @throws only on a bug; every expected failure is a message on `out` and a non-zero code.
 */
export async function runServicesCommand(
  argv: string[],
  out: ServicesOutput,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let action: string;
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
    action = positionals[0] ?? "start";
    if (positionals.length > 1 || !["start", "stop", "status"].includes(action)) {
      throw new Error(`unknown command "${positionals.join(" ")}"`);
    }
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
  const services = BACKING_SERVICES.map((create) => create(ctx));
  try {
    const runtime = await chooseRuntime(config);
    out.log(`services: ${action} — state in ${ctx.layout.root}; runtime: ${RUNTIME_DESCRIPTIONS[runtime]}`);
    if (action === "start") await start(ctx, runtime, services);
    if (action === "stop") await stop(ctx, runtime, services);
    if (action === "status") return (await status(ctx, runtime, services)) ? 0 : 3;
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

type Runtime = "local" | "compose";

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

async function start(ctx: BackingContext, runtime: Runtime, services: readonly BackingService[]): Promise<void> {
  const started = performance.now();
  await createStateDir(ctx);
  const outcomes = new Map<string, string>();
  await withStateLock(ctx.layout.root, LOCK_TIMEOUT_MS, async () => {
    if (runtime === "compose") {
      await composeRuntime(ctx, services).start();
      for (const service of services) outcomes.set(service.name, "up");
      return;
    }
    const missingPackages = async () => [
      ...new Set((await Promise.all(services.map((service) => service.missingPackages()))).flat()),
    ];
    const missing = await missingPackages();
    if (missing.length > 0) {
      ctx.log(`services: installing ${missing.join(" ")} with apt-get (minutes on a fresh machine)`);
      await installDebianPackages(ctx, missing);
      const still = await missingPackages();
      if (still.length > 0) {
        const aptLog = join(ctx.layout.logs, "apt.log");
        throw new ServicesError("install", `apt-get ran, but ${still.join(", ")} still lacks its programs`, aptLog);
      }
    }
    ctx.log(
      await reserveLocalPorts(
        souksFixedPorts({
          pg: ctx.config.SOUK_PG_PORT,
          redis: ctx.config.SOUK_REDIS_PORT,
          nginx: ctx.config.SOUK_NGINX_PORT,
        }),
      ),
    );
    for (const service of services) outcomes.set(service.name, await service.start());
  });
  ctx.log(`services: ready in ${formatDuration(performance.now() - started)}`);
  for (const service of services) {
    ctx.log(`  ${service.name.padEnd(9)} ${(outcomes.get(service.name) ?? "").padEnd(16)} ${service.url}`);
  }
  ctx.log(`  logs in ${ctx.layout.logs}; NGINX includes ${ctx.layout.nginxConfD}/*.conf`);
}

async function stop(ctx: BackingContext, runtime: Runtime, services: readonly BackingService[]): Promise<void> {
  const started = performance.now();
  await createStateDir(ctx);
  await withStateLock(ctx.layout.root, LOCK_TIMEOUT_MS, async () => {
    if (runtime === "compose") {
      if ((await composeRuntime(ctx, services).stop()) === "not running") ctx.log("  compose: not running");
      return;
    }
    for (const service of [...services].reverse()) {
      // A service that was stopped already logged its timed step; say so only for the others.
      if ((await service.stop()) === "not running") ctx.log(`  ${service.name}: not running`);
    }
  });
  ctx.log(`services: stopped in ${formatDuration(performance.now() - started)}`);
}

/** Logs one line per service; true when every one is up. */
async function status(ctx: BackingContext, runtime: Runtime, services: readonly BackingService[]): Promise<boolean> {
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
