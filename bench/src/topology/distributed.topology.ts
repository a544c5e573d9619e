// The distributed topology under test: `souk up` (pm2 processes behind NGINX's TLS edge on
// https://127.0.0.1:8443), its processes' memory, and `souk down` at the end.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadBackingConfig, REPO_ROOT } from "../../../apps/souk/src/backing/backing.config.ts";
import { pm2Runner, type Pm2 } from "../../../apps/souk/src/cluster/pm2.runner.ts";
import { readProcessMemory } from "../process-memory.ts";
import { runChecked } from "../programs.ts";

/** The souk CLI. */
const SOUK_CLI = join(REPO_ROOT, "apps", "souk", "src", "main.ts");

/** One process of the cluster and its memory. */
export interface ClusterProcessMemory {
  readonly name: string;
  readonly pid: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

/** Paths of the cluster's state directory (`SOUK_SERVICES_DIR`, default .souk-services). */
export function clusterPaths(env: Record<string, string | undefined> = process.env) {
  const root = loadBackingConfig(env).SOUK_SERVICES_DIR;
  return {
    root,
    caCertPath: join(root, "tls", "ca.crt"),
    serverCertPath: join(root, "tls", "server.crt"),
    serverKeyPath: join(root, "tls", "server.key"),
    pm2Home: join(root, "pm2"),
  };
}

function pm2(env: Record<string, string | undefined>): Pm2 {
  return pm2Runner({ home: clusterPaths(env).pm2Home, node: process.execPath, repoRoot: REPO_ROOT, env });
}

/** Runs `souk <args>` with the repo's Node, its output line by line to `log`. */
function souk(args: readonly string[], env: Readonly<Record<string, string>>, log: (line: string) => void) {
  return runChecked(`souk ${args.join(" ")}`, process.execPath, [SOUK_CLI, ...args], {
    env,
    cwd: REPO_ROOT,
    timeoutMs: 10 * 60_000,
    onLine: log,
  });
}

/** `npm run services` (start; idempotent): PostgreSQL, Redis and NGINX on loopback. */
export async function startBackingServices(log: (line: string) => void): Promise<void> {
  await souk(["services", "start"], {}, log);
}

/**
 * The cluster's processes as pm2 lists them, when its daemon runs (never starts one), each with
 * the environment variables of `names` it was started with (read from /proc/<pid>/environ).
 */
export async function runningCluster(
  names: readonly string[],
): Promise<{ name: string; pid: number; env: Record<string, string | undefined> }[]> {
  const runner = pm2(process.env);
  if (!(await runner.daemonRunning())) return [];
  const processes = (await runner.list()).filter((p) => p.status === "online" && p.pid > 0);
  return Promise.all(
    processes.map(async (p) => {
      const environ = await readFile(`/proc/${p.pid}/environ`, "utf8").catch(() => "");
      const vars = new Map(
        environ
          .split("\0")
          .filter((entry) => entry.includes("="))
          .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)] as const),
      );
      return { name: p.name, pid: p.pid, env: Object.fromEntries(names.map((n) => [n, vars.get(n)])) };
    }),
  );
}

/**
 * `souk up` with `env` on top of this process's environment; resolves with its wall time (ms)
 * and the public URL.
 *
 * @throws Error with the end of its output when it fails.
 */
export async function clusterUp(
  env: Readonly<Record<string, string>>,
  log: (line: string) => void,
): Promise<{ readyMs: number; baseUrl: string }> {
  const result = await souk(["up"], env, log);
  // Imported here: the topology module loads every service's config, which the rest of the bench never needs.
  const { EDGE_URL } = await import("../../../apps/souk/src/cluster/cluster.topology.ts");
  return { readyMs: result.elapsedMs, baseUrl: EDGE_URL };
}

/** `souk down` (the backing services keep running). */
export async function clusterDown(log: (line: string) => void): Promise<void> {
  await souk(["down"], {}, log);
}

/** The memory of every running process of the cluster (from /proc, pm2's pids). */
export async function clusterMemory(): Promise<ClusterProcessMemory[]> {
  const runner = pm2(process.env);
  if (!(await runner.daemonRunning())) return [];
  const processes = (await runner.list()).filter((p) => p.pid > 0);
  const rows: ClusterProcessMemory[] = [];
  for (const p of processes) {
    const memory = await readProcessMemory(p.pid);
    if (memory !== undefined) rows.push({ name: p.name, pid: p.pid, ...memory });
  }
  return rows;
}
