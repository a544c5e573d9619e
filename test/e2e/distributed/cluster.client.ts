// Helpers of the distributed failure tests: an HTTPS client of the edge trusting the development
// CA (as cluster.integration.test.ts builds it), pm2's view of the processes, and stopping /
// starting the backing PostgreSQL and Redis. Loopback only; every wait is bounded.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { REPO_ROOT } from "../../../apps/souk/src/backing/backing.config.ts";
import { runServicesCommand } from "../../../apps/souk/src/backing/services.command.ts";
import { pm2Runner, type Pm2Process } from "../../../apps/souk/src/cluster/pm2.runner.ts";
import type { Api, ApiResponse, RequestOptions } from "../support/http.ts";

export const STATE_DIR = process.env["SOUK_SERVICES_DIR"] ?? join(REPO_ROOT, ".souk-services");
export const CLUSTER_LOGS = join(STATE_DIR, "logs", "cluster");

/** The e2e `Api` over node:https, trusting only `ca` (the approach of cluster.integration.test.ts). */
export function httpsApi(baseUrl: string, ca: string, timeoutMs = 30_000): Api & { close(): void } {
  const agent = new Agent({ ca, keepAlive: true });
  const send = <T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(options.json);
    }
    return new Promise((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { method, headers, agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const answered = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) answered.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          const isJson = /^application\/(problem\+)?json/.test(answered.get("content-type") ?? "");
          let parsed: unknown;
          try {
            parsed = isJson ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: answered, text, body: parsed as T });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  };
  return {
    baseUrl,
    request: send,
    get: (path, options) => send("GET", path, options),
    post: (path, json, options) => send("POST", path, { ...options, json }),
    put: (path, json, options) => send("PUT", path, { ...options, json }),
    delete: (path, options) => send("DELETE", path, options),
    close: () => agent.destroy(),
  };
}

const pm2 = pm2Runner({
  home: join(STATE_DIR, "pm2"),
  node: join(REPO_ROOT, "node_modules", ".bin", "node"),
  repoRoot: REPO_ROOT,
  env: process.env,
});

/** `pm2 jlist` of the cluster. */
export function pm2List(): Promise<Pm2Process[]> {
  return pm2.list();
}

/** The pm2 row of `name` (throws when absent). */
export async function pm2Process(name: string): Promise<Pm2Process> {
  const found = (await pm2List()).find((p) => p.name === name);
  if (found === undefined) throw new Error(`${name} is not in pm2's list`);
  return found;
}

/** Waits (bounded) until pm2 shows `name` online with a pid other than `oldPid`; resolves to it. */
export async function waitForNewPid(name: string, oldPid: number, timeoutMs: number): Promise<Pm2Process> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await pm2Process(name).catch(() => undefined);
    if (row !== undefined && row.status === "online" && row.pid > 0 && row.pid !== oldPid) return row;
    if (Date.now() > deadline)
      throw new Error(`${name}: no new online pid within ${timeoutMs} ms (${JSON.stringify(row)})`);
    await delay(200);
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** `pg_ctl stop -m fast` of the backing PostgreSQL (run as the postgres OS user when root). */
export async function stopPostgres(): Promise<void> {
  const versions = (await readdir("/usr/lib/postgresql")).sort((a, b) => Number(b) - Number(a));
  const pgCtl = `/usr/lib/postgresql/${versions[0]}/bin/pg_ctl`;
  const args = ["stop", "--wait", "--timeout=30", "--mode=fast", `--pgdata=${join(STATE_DIR, "postgres")}`];
  const result =
    process.getuid?.() === 0
      ? await run("runuser", ["-u", "postgres", "--", pgCtl, ...args], 45_000)
      : await run(pgCtl, args, 45_000);
  if (result.code !== 0) throw new Error(`pg_ctl stop failed (${result.code}): ${result.output}`);
}

/** `redis-cli shutdown nosave` of the backing Redis. */
export async function stopRedis(): Promise<void> {
  const result = await run("redis-cli", ["-h", "127.0.0.1", "-p", "56379", "shutdown", "nosave"], 15_000);
  // redis-cli prints nothing (the connection closes) on success.
  if (result.code !== 0 && !/closed|refused/i.test(result.output)) {
    throw new Error(`redis-cli shutdown failed (${result.code}): ${result.output}`);
  }
}

/** `npm run services start`: starts whichever backing service is down (idempotent). */
export async function startBacking(): Promise<void> {
  const lines: string[] = [];
  const code = await runServicesCommand(["start"], { log: (line) => lines.push(line) });
  if (code !== 0) throw new Error(`services start failed (${code}):\n${lines.join("\n")}`);
}

/** Runs `task` over `items` with at most `concurrency` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** p50 / max of `values` (ms), for the printed figures. */
export function stats(values: readonly number[]): string {
  if (values.length === 0) return "n=0";
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `n=${sorted.length} min=${sorted[0]!.toFixed(0)} p50=${at(0.5).toFixed(0)} max=${sorted.at(-1)!.toFixed(0)} ms`;
}
