// The cache path's limit: redis-benchmark GET/SET against the Redis of `npm run services`, in a
// database of its own (SELECT 15), its one key removed afterwards.
import { findExecutable, runChecked, runProgram } from "../programs.ts";

/** One redis-benchmark test. */
export interface RedisBenchmarkResult {
  readonly test: string;
  readonly rps: number;
  readonly avgLatencyMs: number;
  readonly p99LatencyMs: number;
}

/** The Redis limit: GET and SET rates. */
export interface RedisLimit {
  readonly clients: number;
  readonly requests: number;
  readonly results: readonly RedisBenchmarkResult[];
}

/** The database redis-benchmark writes its key into (the services use database 0). */
const SCRATCH_DB = "15";
const CLIENTS = 50;

/**
 * Reads redis-benchmark's `--csv` report: a header line, then one line per test
 * ("SET","14727.54","2.443",…,"p99",…).
 */
export function parseRedisBenchmarkCsv(csv: string): RedisBenchmarkResult[] {
  const rows = csv
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split(",").map((cell) => cell.replace(/^"|"$/g, "")));
  const header = rows[0];
  if (header?.[0] !== "test") throw new Error(`redis-benchmark printed no CSV header:\n${csv.slice(0, 500)}`);
  const column = (name: string) => header.indexOf(name);
  return rows.slice(1).map((row) => ({
    test: row[0] ?? "?",
    rps: Number(row[column("rps")]),
    avgLatencyMs: Number(row[column("avg_latency_ms")]),
    p99LatencyMs: Number(row[column("p99_latency_ms")]),
  }));
}

/** Runs redis-benchmark GET and SET (`requests` each, 50 clients, no pipelining) on `host:port`. */
export async function measureRedisLimit(host: string, port: number, requests: number): Promise<RedisLimit> {
  const benchmark = await findExecutable("redis-benchmark");
  if (benchmark === undefined) throw new Error("redis-benchmark not found (Debian package redis-tools)");
  const common = ["-h", host, "-p", String(port)];
  const result = await runChecked(
    "redis-benchmark",
    benchmark,
    [...common, "--dbnum", SCRATCH_DB, "-t", "set,get", "-n", String(requests), "-c", String(CLIENTS), "--csv"],
    { timeoutMs: 300_000 },
  );
  const cli = await findExecutable("redis-cli");
  if (cli !== undefined) {
    await runProgram(cli, [...common, "-n", SCRATCH_DB, "del", "key:__rand_int__"], { timeoutMs: 10_000 });
  }
  return { clients: CLIENTS, requests, results: parseRedisBenchmarkCsv(result.stdout) };
}
