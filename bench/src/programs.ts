// Running the outside programs the bench drives (the souk CLI, pgbench, psql, pg_dump,
// redis-benchmark, nginx): argument arrays, never a shell; output captured; a deadline each.
import { spawn } from "node:child_process";
import { access, readdir } from "node:fs/promises";
import { constants } from "node:fs";
import { delimiter, join } from "node:path";

/** How a program ended. */
export interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Options of `runProgram`. */
export interface ProgramOptions {
  /** Killed (SIGKILL) after this long. */
  readonly timeoutMs: number;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Called with each line of stdout and stderr as it comes (e.g. to show `up`'s progress). */
  readonly onLine?: (line: string) => void;
}

const MAX_CAPTURED_CHARS = 256 * 1024;

/** Runs `file args`; resolves with its exit code and output whatever the code; rejects only when it cannot start. */
export function runProgram(file: string, args: readonly string[], options: ProgramOptions): Promise<ProgramResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    const onData = (chunk: string) => {
      if (options.onLine === undefined) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") options.onLine(line);
    };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout = (stdout + chunk).slice(-MAX_CAPTURED_CHARS);
      onData(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_CAPTURED_CHARS);
      onData(chunk);
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
}

/**
 * `runProgram`, then throws unless it exited 0 (the message names what it was, and quotes the
 * last lines of its output).
 */
export async function runChecked(
  what: string,
  file: string,
  args: readonly string[],
  options: ProgramOptions,
): Promise<ProgramResult> {
  const result = await runProgram(file, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`${what} failed (exit code ${result.code}):\n${tail}`);
  }
  return result;
}

/** The first executable `name` on PATH or in `dirs`, or undefined. */
export async function findExecutable(name: string, dirs: readonly string[] = []): Promise<string | undefined> {
  for (const dir of [...dirs, ...(process.env["PATH"] ?? "").split(delimiter), "/usr/sbin", "/sbin"]) {
    if (dir === "") continue;
    const path = join(dir, name);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

/** Debian's PostgreSQL client and server programs (newest major version), e.g. /usr/lib/postgresql/15/bin. */
export async function postgresBinDir(): Promise<string> {
  const root = "/usr/lib/postgresql";
  const versions = (await readdir(root).catch(() => [] as string[]))
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, "bin");
    if (
      await access(join(dir, "pgbench"), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  throw new Error(`pgbench not found under ${root}/<version>/bin (npm run services installs PostgreSQL)`);
}
