import { describe, expect, it } from "vitest";
import { staticBody, staticNginxConfig } from "./nginx-static.ts";
import { parsePgbenchOutput, searchScript } from "./pgbench.limit.ts";
import { parseRedisBenchmarkCsv } from "./redis.limit.ts";

describe("the NGINX static-file limit", () => {
  it("serves a JSON document of exactly the product response's size", () => {
    for (const bytes of [12, 413, 4096]) {
      const body = staticBody(bytes);
      expect(Buffer.byteLength(body)).toBe(bytes);
      expect(() => JSON.parse(body) as unknown).not.toThrow();
    }
  });

  it("configures plain HTTP, and TLS when given a certificate, without an access log", () => {
    const config = staticNginxConfig({
      dir: "/tmp/x",
      httpPort: 4000,
      https: { port: 4001, tls: { certPath: "/c.crt", keyPath: "/c.key" } },
    });
    expect(config).toContain("listen 127.0.0.1:4000;");
    expect(config).toContain("listen 127.0.0.1:4001 ssl;");
    expect(config).toContain('ssl_certificate "/c.crt";');
    expect(config).toContain("access_log off;");
    expect(config).toContain("daemon off;");
    expect(staticNginxConfig({ dir: "/tmp/x", httpPort: 4000 })).not.toContain("ssl");
  });
});

describe("the pgbench limits", () => {
  it("writes catalog's search SQL for one term, quoting it", () => {
    const script = searchScript("o'neill", 0.55);
    expect(script).toContain("select set_config('pg_trgm.word_similarity_threshold', '0.55', true);");
    expect(script).toContain("websearch_to_tsquery('english', 'o''neill')");
    expect(script).toContain("lower(name) %> lower('o''neill')");
    expect(script).toContain('order by "score" desc, "id" asc limit 11;');
    expect(script.startsWith("begin;\n")).toBe(true);
    expect(script.trimEnd().endsWith("commit;")).toBe(true);
  });

  it("reads pgbench's report", () => {
    const output = [
      "transaction type: multiple scripts",
      "number of transactions actually processed: 3172",
      "number of failed transactions: 2 (0.063%)",
      "latency average = 12.583 ms",
      "initial connection time = 9.101 ms",
      "tps = 635.777304 (without initial connection time)",
      "SQL script 1: /tmp/search-00.pgbench.sql",
      " - latency average = 13.188 ms",
    ].join("\n");
    expect(parsePgbenchOutput(output)).toEqual({
      tps: 635.777304,
      latencyAvgMs: 12.583,
      transactions: 3172,
      failed: 2,
    });
  });

  it("throws when pgbench aborted without a tps line", () => {
    expect(() => parsePgbenchOutput("pgbench: error: Run was aborted")).toThrow(/no tps/);
  });
});

describe("the redis-benchmark limit", () => {
  it("reads the --csv report", () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"SET","14727.54","2.443","0.248","1.887","5.575","10.279","19.535"',
      '"GET","16233.77","2.117","0.248","1.591","5.007","7.511","11.871"',
    ].join("\n");
    expect(parseRedisBenchmarkCsv(csv)).toEqual([
      { test: "SET", rps: 14727.54, avgLatencyMs: 2.443, p99LatencyMs: 10.279 },
      { test: "GET", rps: 16233.77, avgLatencyMs: 2.117, p99LatencyMs: 7.511 },
    ]);
  });

  it("throws without the header", () => {
    expect(() => parseRedisBenchmarkCsv("ERR")).toThrow();
  });
});
