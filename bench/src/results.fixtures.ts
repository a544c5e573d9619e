// Test data shared by the results, summary and chart tests.
import { FULL_PLAN } from "./bench.plan.ts";
import type { LatencySummary } from "./latency.ts";
import type { BenchResults, LimitsResult, TopologyResult } from "./results.ts";
import type { LadderResult, StepRecord } from "./scenario.runner.ts";

/** A latency summary with the given p99 (the other percentiles scaled from it). */
export function latency(p99Ms: number): LatencySummary {
  return {
    count: 100,
    meanMs: p99Ms / 3,
    p50Ms: p99Ms / 4,
    p90Ms: p99Ms / 2,
    p99Ms,
    p999Ms: p99Ms * 1.5,
    maxMs: p99Ms * 2,
  };
}

/** A step offered `offeredRps` that achieved `achievedRps` with `p99Ms`. */
export function stepRecord(offeredRps: number, achievedRps: number, p99Ms: number, saturated = false): StepRecord {
  return {
    offeredRps,
    durationMs: 5000,
    scheduled: offeredRps * 5,
    succeeded: Math.round(achievedRps * 5),
    failed: 0,
    errorRate: 0,
    achievedRps,
    statuses: { "200": Math.round(achievedRps * 5) },
    latency: latency(p99Ms),
    serviceTime: latency(p99Ms),
    byKind: {},
    maxPending: 10,
    maxSendLagMs: 1,
    elapsedMs: 5100,
    histogram: "",
    verdict: saturated
      ? { saturated: true, reasons: ["achieved 80% of offered (< 90%)"] }
      : { saturated: false, reasons: [] },
    counters: { orders: {}, settledLater: {}, refills: 0, refillFailures: 0 },
  };
}

/** A ladder that saturated at `saturationRps`, with p99 `p99At70Ms` at 70 %. */
export function ladder(scenario: LadderResult["scenario"], saturationRps: number, p99At70Ms: number): LadderResult {
  return {
    scenario,
    probe: {
      concurrency: 32,
      durationMs: 3000,
      succeeded: 100,
      failed: 0,
      rps: saturationRps,
      statuses: {},
      latency: latency(5),
    },
    steps: [
      stepRecord(saturationRps * 0.5, saturationRps * 0.5, p99At70Ms / 2),
      stepRecord(saturationRps * 1.2, saturationRps, p99At70Ms * 40, true),
      { ...stepRecord(Math.round(saturationRps * 1.1), saturationRps * 0.95, p99At70Ms * 30, true), refining: true },
    ],
    saturationRps,
    kneeFound: true,
    at70: stepRecord(Math.round(saturationRps * 0.7), saturationRps * 0.7, p99At70Ms),
    at70Again: stepRecord(Math.round(saturationRps * 0.7), saturationRps * 0.7, p99At70Ms * 2),
    recoveries: [{ recovered: true, waitedMs: 1500, fastMs: 20, busyCustomers: 0 }],
  };
}

export const LIMITS: LimitsResult = {
  staticFileBytes: 413,
  nginxHttp: ladder("static", 10_000, 2),
  nginxHttps: ladder("static", 8_000, 3),
  pgbench: [
    {
      script: "search",
      runs: [{ clients: 8, durationS: 10, tps: 600, latencyAvgMs: 12, transactions: 6000, failed: 0 }],
      bestTps: 600,
    },
    {
      script: "checkout",
      runs: [{ clients: 8, durationS: 10, tps: 70, latencyAvgMs: 110, transactions: 700, failed: 0 }],
      bestTps: 70,
    },
  ],
  redis: { clients: 50, requests: 1000, results: [{ test: "GET", rps: 16000, avgLatencyMs: 2, p99LatencyMs: 7 }] },
  errors: [],
};

export const EMBEDDED: TopologyResult = {
  topology: "embedded",
  baseUrl: "http://127.0.0.1:40000",
  readyMs: 6800,
  startupMs: 6000,
  firstReadyMs: 7400,
  warmReadyMs: 1900,
  memory: {
    kind: "embedded",
    idleRssBytes: 180_000_000,
    afterLoadRssBytes: 260_000_000,
    peakRssBytes: 320_000_000,
    afterScenarios: [
      { scenario: "product", rssBytes: 240_000_000, peakRssBytes: 250_000_000 },
      { scenario: "checkout", rssBytes: 300_000_000, peakRssBytes: 320_000_000 },
      { scenario: "mix", rssBytes: 270_000_000, peakRssBytes: 320_000_000 },
    ],
  },
  productBodyBytes: 413,
  products: 5000,
  scenarios: [
    ladder("product", 6_000, 12),
    ladder("search", 240, 30),
    ladder("checkout", 40, 80),
    ladder("mix", 900, 60),
  ],
};

export const DISTRIBUTED: TopologyResult = {
  topology: "distributed",
  baseUrl: "https://127.0.0.1:8443",
  readyMs: 15_000,
  memory: {
    kind: "distributed",
    idle: [
      { name: "souk-catalog", pid: 1, rssBytes: 150_000_000, peakRssBytes: 160_000_000 },
      { name: "souk-gateway-1", pid: 2, rssBytes: 170_000_000, peakRssBytes: 180_000_000 },
    ],
    // The gateway's early figure is missing, as in results written before `justUp` existed.
    justUp: [{ name: "souk-catalog", pid: 1, rssBytes: 155_000_000, peakRssBytes: 160_000_000 }],
    afterLoad: [{ name: "souk-catalog", pid: 1, rssBytes: 190_000_000, peakRssBytes: 200_000_000 }],
  },
  scenarios: [ladder("product", 2_000, 20), ladder("checkout", 20, 150)],
};

/** A whole results.json around the fixtures. */
export function benchResults(targets: BenchResults["targets"]): BenchResults {
  return {
    version: 1,
    startedAt: "2026-11-25T17:45:22.123Z",
    finishedAt: "2026-11-25T17:57:00.000Z",
    wallTimeMs: 700_000,
    quick: false,
    seed: 1,
    machine: {
      cpus: 2,
      cpuModel: "Test CPU",
      totalMemoryBytes: 24 * 2 ** 30,
      node: "v24.21.0",
      loadAverageAtStart: 0.5,
    },
    plan: FULL_PLAN,
    storeEnv: { GATEWAY_RATE_LIMIT_PER_IP: "1000000000" },
    limits: LIMITS,
    topologies: [EMBEDDED, DISTRIBUTED],
    targets,
  };
}
