// The embedded topology under test: what `npm start` runs (the bundle's `start`, see
// apps/souk/src/bundle.ts) in a child process on a free port with its own data directory, so its
// readiness and memory are its own.
import { fork } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { BUNDLE_ENTRY } from "../../../apps/souk/src/bundle.ts";
import { EMBEDDED_NODE_ARGS, MALLOC_ENV, NODE_COMPILE_CACHE } from "../../../apps/souk/src/node-options.ts";
import { readProcessMemory, type ProcessMemory } from "../process-memory.ts";

/** The longest a start may take (a first start migrates and seeds the catalog). */
const READY_TIMEOUT_MS = 120_000;

/** A running embedded store. */
export interface EmbeddedProcess {
  readonly baseUrl: string;
  readonly pid: number;
  /** From spawning the process to its "ready" message: what a user waits for `npm start` (ms). */
  readonly readyMs: number;
  /** startEmbedded's own figure (from its call to listening), without Node's start and module loading (ms). */
  readonly startupMs: number;
  memory(): Promise<ProcessMemory | undefined>;
  /** SIGTERM (it drains and closes PGlite cleanly), SIGKILL after 30 s. Resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded store — `node dist/souk/main.js start`, built beforehand (`buildBundle`) —
 * on a free port with SOUK_DATA_DIR = `dataDir`, `env` on top of this process's environment; its
 * logs go to `logFile`. It reports `{ kind: "ready", baseUrl, startupMs }` over IPC.
 *
 * @throws Error when it exits or is not ready within 2 minutes (with the end of its log).
 */
export async function startEmbeddedProcess(options: {
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}): Promise<EmbeddedProcess> {
  const log = openSync(options.logFile, "a");
  const started = performance.now();
  const child = fork(BUNDLE_ENTRY, ["start"], {
    execPath: process.execPath,
    // The V8 options, the malloc tuning and the module compile cache `npm start` runs with.
    execArgv: [...EMBEDDED_NODE_ARGS],
    env: {
      NODE_COMPILE_CACHE,
      ...MALLOC_ENV,
      ...process.env,
      ...options.env,
      PORT: "0",
      SOUK_DATA_DIR: options.dataDir,
    },
    stdio: ["ignore", log, log, "ipc"],
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<{ baseUrl: string; startupMs: number } | { failed: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ failed: `not ready within ${READY_TIMEOUT_MS / 1000} s` }),
      READY_TIMEOUT_MS,
    );
    child.on("message", (message: { kind?: unknown; baseUrl?: unknown; startupMs?: unknown }) => {
      if (message.kind !== "ready" || typeof message.baseUrl !== "string") return;
      clearTimeout(timer);
      resolve({ baseUrl: message.baseUrl, startupMs: Number(message.startupMs) });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ failed: `exited with code ${code} before it was ready` });
    });
  });
  const readyMs = performance.now() - started;
  if ("failed" in ready) {
    child.kill("SIGKILL");
    const tail = (await readFile(options.logFile, "utf8").catch(() => "")).trim().split("\n").slice(-15).join("\n");
    throw new Error(`the embedded store ${ready.failed} (log ${options.logFile}):\n${tail}`);
  }
  const pid = child.pid ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    baseUrl: ready.baseUrl,
    pid,
    readyMs,
    startupMs: ready.startupMs,
    memory: () => readProcessMemory(pid),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        await exited;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}
