// Redis: one server with its data (append-only file) in <state>/redis, on 127.0.0.1 only.
import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { LOOPBACK } from "./backing.config.ts";
import { ServicesError, type BackingContext, type BackingService, type ServiceStatus } from "./backing-service.ts";
import {
  failureWithLog,
  findExecutable,
  isProcessAlive,
  readPidFile,
  requireFreePort,
  runChecked,
  waitUntil,
} from "./process.runner.ts";

const NAME = "redis";

/**
 * The Redis backing service. Local runtime: `redis-server <state>/redis/redis.conf` (a config
 * generated on every start: loopback, the port, daemonized, AOF on, pid and log files in the
 * state directory); stop is `redis-cli shutdown` (which flushes the AOF).
 */
export function redisService(ctx: BackingContext): BackingService {
  const { layout, config } = ctx;
  const port = config.SOUK_REDIS_PORT;
  const configFile = join(layout.redis, "redis.conf");
  const pidFile = join(layout.redis, "redis.pid");
  const logFile = join(layout.logs, "redis.log");
  const timeoutMs = config.SOUK_SERVICES_TIMEOUT_MS;

  async function runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(pidFile);
    return pid !== undefined && (await isProcessAlive(pid, "redis-server")) ? pid : undefined;
  }

  async function binary(name: "redis-server" | "redis-cli"): Promise<string> {
    const path = await findExecutable(name);
    if (path === undefined) throw new ServicesError(NAME, `${name} not found (Debian package redis-server)`);
    return path;
  }

  /** The data directory and a fresh redis.conf. */
  async function prepareLocal(): Promise<void> {
    await mkdir(layout.redis, { recursive: true });
    await mkdir(layout.logs, { recursive: true });
    const quoted = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    const settings = [
      "# Written by `npm run services` on every start: change SOUK_REDIS_PORT / SOUK_SERVICES_DIR instead.",
      `bind ${LOOPBACK}`,
      "protected-mode yes",
      `port ${port}`,
      "daemonize yes",
      `pidfile ${quoted(pidFile)}`,
      `logfile ${quoted(logFile)}`,
      `dir ${quoted(layout.redis)}`,
      // Carts live here: an append-only file, fsynced every second, survives a restart.
      "appendonly yes",
      "appendfsync everysec",
      "",
    ].join("\n");
    await writeFile(configFile, settings);
  }

  const probe = () => redisPing(port);

  return {
    name: NAME,
    composeService: "redis",
    url: `redis://${LOOPBACK}:${port}`,

    async missingPackages() {
      const found = await Promise.all(["redis-server", "redis-cli"].map((name) => findExecutable(name)));
      return found.includes(undefined) ? ["redis-server"] : [];
    },

    async prepare() {
      // Nothing shared with the Compose runtime: there the data lives in a named volume.
    },

    async start() {
      const server = await binary("redis-server");
      if ((await runningPid()) !== undefined) {
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `running but not answering PING on ${LOOPBACK}:${port}`, logFile);
        }
        return "already running";
      }
      if (await probe()) {
        throw new ServicesError(
          NAME,
          `${LOOPBACK}:${port} already answers PING, but not from ${layout.redis} (another server? set SOUK_REDIS_PORT)`,
        );
      }
      await requireFreePort(NAME, port, "SOUK_REDIS_PORT");
      await prepareLocal();
      await ctx.step(NAME, `redis-server on ${LOOPBACK}:${port}`, async () => {
        await runChecked(NAME, "redis-server", server, [configFile], { timeoutMs, cwd: layout.redis, logFile });
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `started but not answering PING on ${LOOPBACK}:${port}`, logFile);
        }
      });
      return "started";
    },

    async provision() {
      // Nothing to create: each service namespaces its keys.
    },

    async stop() {
      const pid = await runningPid();
      if (pid === undefined) return "not running";
      const cli = await binary("redis-cli");
      await ctx.step(NAME, "redis-cli shutdown", async () => {
        const result = await runChecked(
          NAME,
          "redis-cli shutdown",
          cli,
          ["-h", LOOPBACK, "-p", String(port), "shutdown"],
          {
            timeoutMs,
            logFile,
          },
        );
        // redis-cli prints an error reply (e.g. the AOF could not be written) but may still exit 0.
        if (/ERR/.test(result.stdout + result.stderr)) {
          throw new ServicesError(NAME, `shutdown refused: ${(result.stdout + result.stderr).trim()}`, logFile);
        }
        if (!(await waitUntil(async () => !(await isProcessAlive(pid, "redis-server")), timeoutMs))) {
          throw await failureWithLog(NAME, `pid ${pid} still runs ${timeoutMs} ms after shutdown`, logFile);
        }
      });
      return "stopped";
    },

    async status(): Promise<ServiceStatus> {
      if ((await findExecutable("redis-server")) === undefined) return { up: false, detail: "not installed" };
      const pid = await runningPid();
      if (pid === undefined) return { up: false, detail: "not running" };
      return (await probe())
        ? { up: true, detail: `pid ${pid}` }
        : { up: false, detail: `pid ${pid} runs but does not answer PING (log: ${logFile})` };
    },

    probe,
  };
}

/**
 * Whether a Redis server on loopback:`port` answers PING with PONG within one second (a server
 * still loading its AOF answers `-LOADING`: not ready). Never rejects.
 */
export function redisPing(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: LOOPBACK, port, timeout: 1000 });
    let reply = "";
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.on("timeout", () => done(false));
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}
