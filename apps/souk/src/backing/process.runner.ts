// Running programs with argument arrays (never a shell), waiting for conditions, and the pid
// and lock files the local runtime keeps in its state directory.
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ServicesError } from "./backing-service.ts";

/** How one program run ended. `code` is null when a signal ended it (`signal` says which). */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Options of `run`. */
export interface RunOptions {
  /** Killed (SIGKILL) after this many milliseconds. */
  readonly timeoutMs: number;
  /** Runs the program as this OS user through `runuser -u <user> --` (the caller must be root). */
  readonly asUser?: string;
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: Record<string, string>;
}

const MAX_CAPTURED_CHARS = 64 * 1024;
/** A daemon forked by the program may keep its stdout open: stop reading this long after the exit. */
const PIPE_GRACE_MS = 300;

/**
 * Runs `file` with `args` and captures its output (the last 64 KiB of each stream). Resolves
 * whatever the exit status; rejects only when the program cannot be started (e.g. ENOENT).
 */
export function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const [command, argv] =
    options.asUser === undefined ? [file, args] : ["runuser", ["-u", options.asUser, "--", file, ...args]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout = (stdout + chunk).slice(-MAX_CAPTURED_CHARS);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_CAPTURED_CHARS);
    });
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    };
    child.on("error", (error) => {
      settled = true;
      clearTimeout(killer);
      reject(error);
    });
    child.on("close", (code, signal) => finish(code, signal));
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS).unref();
    });
  });
}

/** Options of `spawnDaemon`. */
export interface DaemonOptions {
  readonly cwd: string;
  /** Added to this process's environment. */
  readonly env?: Record<string, string>;
  /** The daemon's stdout and stderr are appended to this file. */
  readonly logFile: string;
  /** When given, the daemon's pid is written here. */
  readonly pidFile?: string;
}

/**
 * Starts `file` with `args` as a daemon, for servers that stay in the foreground (a JVM, the
 * Erlang VM): in a session of its own (so it outlives this process and its terminal), stdin
 * from /dev/null, stdout and stderr appended to `logFile`. Resolves to its pid once it runs,
 * without waiting for it to be ready.
 *
 * @throws ServicesError naming `service` when the program cannot be started (e.g. ENOENT).
 */
export async function spawnDaemon(
  service: string,
  file: string,
  args: readonly string[],
  options: DaemonOptions,
): Promise<number> {
  const log = await open(options.logFile, "a");
  try {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolvePromise, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolvePromise(child.pid ?? 0));
    });
    child.unref();
    if (options.pidFile !== undefined) await writeFile(options.pidFile, `${pid}\n`);
    return pid;
  } catch (error) {
    throw new ServicesError(service, `cannot run ${file}: ${(error as Error).message}`, options.logFile);
  } finally {
    await log.close();
  }
}

/**
 * `run`, then throws a `ServicesError` naming `service`, what it was doing, the exit status,
 * the last lines of output and `logFile` unless the program exited 0.
 */
export async function runChecked(
  service: string,
  what: string,
  file: string,
  args: readonly string[],
  options: RunOptions & { readonly logFile?: string },
): Promise<RunResult> {
  let result: RunResult;
  try {
    result = await run(file, args, options);
  } catch (error) {
    throw new ServicesError(service, `${what}: cannot run ${file}: ${(error as Error).message}`, options.logFile);
  }
  if (result.code !== 0) {
    const status = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : result.code === null
        ? `killed by ${result.signal}`
        : `exit code ${result.code}`;
    const output = lastLines(`${result.stderr}\n${result.stdout}`, 12);
    const log = options.logFile === undefined ? "" : await tailOfFile(options.logFile, 8);
    const details = [output, log && `  last lines of the log:\n${log}`].filter((part) => part !== "").join("\n");
    throw new ServicesError(service, `${what} failed (${status})${details ? `:\n${details}` : ""}`, options.logFile);
  }
  return result;
}

/** The last `count` non-empty lines of `text`, indented for an error message. */
export function lastLines(text: string, count: number): string {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .slice(-count)
    .map((line) => `    ${line}`)
    .join("\n");
}

/** The last lines of a log file, or "" when it cannot be read. */
export async function tailOfFile(path: string, count: number): Promise<string> {
  try {
    return lastLines(await readFile(path, "utf8"), count);
  } catch {
    return ""; // no log yet is an answer, not an error: the caller's message names the file anyway
  }
}

/**
 * Polls `check` every `intervalMs` until it resolves true (→ true) or `timeoutMs` passes
 * (→ false). A check that throws counts as false.
 */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Waits for a daemon started by `spawnDaemon`: "ready" once `ready` resolves true, "exited" as
 * soon as process `pid` (whose command line contains `commandIncludes`) is gone, "timeout" after
 * `timeoutMs` — so a server that dies on start is reported at once, not after the whole wait.
 */
export async function waitForDaemon(
  pid: number,
  commandIncludes: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<"ready" | "exited" | "timeout"> {
  let exited = false;
  const done = await waitUntil(
    async () => {
      if (await ready().catch(() => false)) return true;
      exited = !(await isProcessAlive(pid, commandIncludes));
      return exited;
    },
    timeoutMs,
    intervalMs,
  );
  return done ? (exited ? "exited" : "ready") : "timeout";
}

/**
 * The absolute path of executable `name`: searched in `dirs` first, then PATH, then the sbin
 * directories (where Debian puts nginx, absent from a non-root PATH). Undefined when missing.
 */
export async function findExecutable(name: string, dirs: readonly string[] = []): Promise<string | undefined> {
  const path = process.env["PATH"] ?? "";
  const candidates = [...dirs, ...path.split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const dir of candidates) {
    if (dir === "") continue;
    const file = join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory: keep looking
    }
  }
  return undefined;
}

/** The pid in a pid file, or undefined when the file is absent or holds no number. */
export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined; // no pid file: the daemon is not running from this state directory
  }
  const pid = Number.parseInt(text.trim().split("\n")[0] ?? "", 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether process `pid` exists and, when `commandIncludes` is given, its command line contains
 * it (so a pid reused by another program after a crash does not count as our daemon).
 */
export async function isProcessAlive(pid: number, commandIncludes?: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user — still alive.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (commandIncludes === undefined) return true;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.replaceAll("\0", " ").includes(commandIncludes);
  } catch {
    return false; // exited between the two checks
  }
}

/**
 * Runs `body` holding `<dir>/services.lock`, so two `start`/`stop` runs on one state directory
 * (two terminals, two test workers) never race. A lock left by a dead process is taken over;
 * a live holder is waited for up to `timeoutMs`.
 *
 * @throws ServicesError when the lock stays held longer than `timeoutMs`.
 */
export async function withStateLock<T>(dir: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const lockFile = join(dir, "services.lock");
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readPidFile(lockFile);
    if (holder === undefined || !(await isProcessAlive(holder))) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (performance.now() >= deadline) {
      throw new ServicesError("services", `${lockFile} is held by process ${holder} (another start or stop)`);
    }
    await sleep(250);
  }
  try {
    return await body();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/**
 * Throws a `ServicesError` naming `service` unless loopback:`port` is free to listen on, so a port
 * held by another program is reported at once instead of as a daemon that never becomes ready.
 */
export async function requireFreePort(service: string, port: number, variable: string): Promise<void> {
  const problem = await new Promise<string | undefined>((resolvePromise) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolvePromise(error.code ?? error.message));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolvePromise(undefined)));
  });
  if (problem === undefined) return;
  const why = problem === "EADDRINUSE" ? "is in use by another program" : `cannot be listened on (${problem})`;
  throw new ServicesError(service, `127.0.0.1:${port} ${why}: stop that program or set ${variable}`);
}

/** A `ServicesError` whose message ends with the last lines of `logFile` (what the daemon said). */
export async function failureWithLog(service: string, message: string, logFile: string): Promise<ServicesError> {
  const tail = await tailOfFile(logFile, 8);
  return new ServicesError(service, tail === "" ? message : `${message}; last lines of the log:\n${tail}`, logFile);
}
