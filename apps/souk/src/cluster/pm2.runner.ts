// pm2, the process manager of the cluster, driven through its CLI with PM2_HOME inside the
// services' state directory: its daemon, sockets and dump never touch ~/.pm2, and several
// checkouts each get their own.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ServicesError } from "../backing/backing-service.ts";
import { isProcessAlive, readPidFile } from "../backing/process.runner.ts";

/** One process as pm2 knows it (a row of `pm2 jlist`). */
export interface Pm2Process {
  readonly name: string;
  /** 0 while it is not running. */
  readonly pid: number;
  /** `online`, `launching`, `stopping`, `stopped`, `errored`, `waiting restart`, … */
  readonly status: string;
  /** How many times pm2 restarted it. */
  readonly restarts: number;
  /** Resident set size in bytes, as pm2 last sampled it. */
  readonly memoryBytes: number;
  /** Path of its stdout log. */
  readonly outLog: string | undefined;
  /** Path of its stderr log. */
  readonly errorLog: string | undefined;
}

/** The pm2 of one state directory. */
export interface Pm2 {
  /** PM2_HOME. */
  readonly home: string;
  /**
   * Runs `pm2 <args>` and resolves to its stdout.
   * @throws ServicesError("pm2") with its output when it exits non-zero or outlives `timeoutMs`.
   */
  run(args: readonly string[], timeoutMs: number): Promise<string>;
  /** `pm2 jlist` (starts the daemon when it is not running). */
  list(): Promise<Pm2Process[]>;
  /** Whether this PM2_HOME's daemon runs (without starting one). */
  daemonRunning(): Promise<boolean>;
}

/** What `pm2Runner` needs. */
export interface Pm2Options {
  /** PM2_HOME. */
  readonly home: string;
  /** The repo's Node 24: runs the CLI, hence the daemon. */
  readonly node: string;
  readonly repoRoot: string;
  /** Environment of the CLI; the daemon and the apps it starts inherit it (under their own `env`). */
  readonly env: Record<string, string | undefined>;
}

/** A `pm2 jlist` row, as far as Souk reads it. */
interface JlistRow {
  name?: unknown;
  pid?: unknown;
  monit?: { memory?: unknown };
  pm2_env?: { status?: unknown; restart_time?: unknown; pm_out_log_path?: unknown; pm_err_log_path?: unknown };
}

/**
 * Parses `pm2 jlist` output (a JSON array, possibly after daemon start-up messages).
 *
 * @throws ServicesError("pm2") when no JSON array is found.
 */
export function parseJlist(stdout: string): Pm2Process[] {
  const line = stdout
    .split("\n")
    .map((l) => l.trim())
    .findLast((l) => l.startsWith("["));
  let rows: unknown;
  try {
    rows = JSON.parse(line ?? "");
  } catch {
    throw new ServicesError("pm2", `pm2 jlist printed no process list: ${stdout.slice(0, 400)}`);
  }
  if (!Array.isArray(rows)) throw new ServicesError("pm2", "pm2 jlist printed no process list");
  return (rows as JlistRow[]).map((row) => ({
    name: typeof row.name === "string" ? row.name : "",
    pid: typeof row.pid === "number" ? row.pid : 0,
    status: typeof row.pm2_env?.status === "string" ? row.pm2_env.status : "unknown",
    restarts: typeof row.pm2_env?.restart_time === "number" ? row.pm2_env.restart_time : 0,
    memoryBytes: typeof row.monit?.memory === "number" ? row.monit.memory : 0,
    outLog: typeof row.pm2_env?.pm_out_log_path === "string" ? row.pm2_env.pm_out_log_path : undefined,
    errorLog: typeof row.pm2_env?.pm_err_log_path === "string" ? row.pm2_env.pm_err_log_path : undefined,
  }));
}

/**
 * The pm2 CLI (node_modules/pm2/bin/pm2) run by the repo's Node with `PM2_HOME = options.home`,
 * `PM2_KILL_SIGNAL=SIGTERM` (pm2's default is SIGINT; Souk drains on either, SIGTERM is what
 * Kubernetes sends) and every stop/delete run on all processes at once (PM2_CONCURRENT_ACTIONS).
 */
export function pm2Runner(options: Pm2Options): Pm2 {
  const cli = join(options.repoRoot, "node_modules", "pm2", "bin", "pm2");
  const env = {
    ...options.env,
    PM2_HOME: options.home,
    PM2_KILL_SIGNAL: "SIGTERM",
    PM2_CONCURRENT_ACTIONS: "16",
    FORCE_COLOR: "0",
  };

  function run(args: readonly string[], timeoutMs: number): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      execFile(
        options.node,
        [cli, ...args],
        { env, cwd: options.repoRoot, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" },
        (error, stdout, stderr) => {
          if (error === null) return resolvePromise(stdout);
          const why = error.killed
            ? `did not finish within ${timeoutMs} ms`
            : `failed (${error.message.split("\n")[0]})`;
          const said = `${stdout}\n${stderr}`.trim().split("\n").slice(-12).join("\n");
          reject(new ServicesError("pm2", `pm2 ${args.join(" ")} ${why}${said === "" ? "" : `:\n${said}`}`));
        },
      );
    });
  }

  return {
    home: options.home,
    run,
    async list() {
      return parseJlist(await run(["jlist"], 30_000));
    },
    async daemonRunning() {
      const pid = await readPidFile(join(options.home, "pm2.pid"));
      // The daemon's title is "PM2 v<version>: God Daemon (<PM2_HOME>)": a reused pid does not count.
      return pid !== undefined && (await isProcessAlive(pid, `God Daemon (${options.home})`));
    },
  };
}
