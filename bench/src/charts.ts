// The run's charts: latency percentiles against offered rate per scenario, achieved against
// offered rate per topology, and saturation throughput beside the machine's limits. Pure.
import type { BenchResults } from "./results.ts";
import { TARGETS } from "./results.ts";
import type { LadderResult, StepRecord } from "./scenario.runner.ts";
import { renderBarChart, renderLineChart, type Series } from "./svg-chart.ts";

/** A chart file: its name under charts/ and its SVG. */
export interface ChartFile {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

/** Every step of a ladder, the 70 % one included, by offered rate. */
function stepsOf(ladder: LadderResult): StepRecord[] {
  return [...ladder.steps, ...(ladder.at70 === undefined ? [] : [ladder.at70])].sort(
    (a, b) => a.offeredRps - b.offeredRps,
  );
}

/** Latency p50/p90/p99 (log scale) against offered rate for one ladder. */
export function latencyChart(label: string, ladder: LadderResult, p99TargetMs?: number): string {
  const steps = stepsOf(ladder);
  const series: Series[] = [
    { name: "p50", points: steps.map((s) => ({ x: s.offeredRps, y: s.latency.p50Ms })) },
    { name: "p90", points: steps.map((s) => ({ x: s.offeredRps, y: s.latency.p90Ms })) },
    { name: "p99", points: steps.map((s) => ({ x: s.offeredRps, y: s.latency.p99Ms })) },
  ];
  return renderLineChart({
    title: `${label}: latency vs offered rate`,
    xLabel: "offered rate (operations/s)",
    yLabel: "latency from intended send (ms, log)",
    series,
    logY: true,
    ...(p99TargetMs === undefined ? {} : { threshold: { y: p99TargetMs, label: `p99 target ${p99TargetMs} ms` } }),
  });
}

/** Achieved against offered rate for every ladder of a topology (with the achieved = offered line). */
export function throughputChart(label: string, ladders: readonly LadderResult[]): string {
  const top = Math.max(0, ...ladders.flatMap((l) => l.steps.map((s) => s.offeredRps)));
  return renderLineChart({
    title: `${label}: achieved vs offered rate`,
    xLabel: "offered rate (operations/s)",
    yLabel: "achieved (successful operations/s)",
    series: [
      ...ladders.map((l) => ({
        name: l.scenario,
        points: [...l.steps]
          .sort((a, b) => a.offeredRps - b.offeredRps)
          .map((s) => ({ x: s.offeredRps, y: s.achievedRps })),
      })),
      {
        name: "offered",
        dashed: true,
        points: [
          { x: 0, y: 0 },
          { x: top, y: top },
        ],
      },
    ],
  });
}

/** Every chart of a run. */
export function buildCharts(results: BenchResults): ChartFile[] {
  const charts: ChartFile[] = [];
  const p99Target = (scenario: string) =>
    scenario === "checkout"
      ? TARGETS.checkoutP99Ms
      : ["product", "browse", "search"].includes(scenario)
        ? TARGETS.readP99Ms
        : undefined;
  for (const t of results.topologies) {
    for (const ladder of t.scenarios) {
      charts.push({
        file: `latency-${t.topology}-${ladder.scenario}.svg`,
        title: `${t.topology} ${ladder.scenario}: latency percentiles vs offered rate`,
        svg: latencyChart(`${t.topology} · ${ladder.scenario}`, ladder, p99Target(ladder.scenario)),
      });
    }
    if (t.scenarios.length > 0) {
      charts.push({
        file: `throughput-${t.topology}.svg`,
        title: `${t.topology}: achieved vs offered rate per scenario`,
        svg: throughputChart(t.topology, t.scenarios),
      });
    }
  }
  for (const [kind, ladder] of [
    ["http", results.limits.nginxHttp],
    ["https", results.limits.nginxHttps],
  ] as const) {
    if (ladder === undefined) continue;
    charts.push({
      file: `latency-nginx-static-${kind}.svg`,
      title: `NGINX static file (${kind}): latency percentiles vs offered rate`,
      svg: latencyChart(`NGINX static file over ${kind}`, ladder),
    });
  }
  const scenarios = [...new Set(results.topologies.flatMap((t) => t.scenarios.map((s) => s.scenario)))];
  if (scenarios.length > 0) {
    const pg = (script: string) => results.limits.pgbench?.find((l) => l.script === script)?.bestTps ?? null;
    const categories = [
      ...scenarios,
      "limit: NGINX http",
      "limit: NGINX https",
      "limit: pgbench search",
      "limit: pgbench checkout",
    ];
    const limitValues = [
      results.limits.nginxHttp?.saturationRps ?? null,
      results.limits.nginxHttps?.saturationRps ?? null,
      pg("search"),
      pg("checkout"),
    ];
    charts.push({
      file: "saturation.svg",
      title: "saturation throughput per scenario, and the machine's limits",
      svg: renderBarChart({
        title: "Saturation throughput per scenario (operations/s) and the machine's limits",
        yLabel: "operations/s",
        categories,
        series: [
          ...results.topologies.map((t) => ({
            name: t.topology,
            values: [
              ...scenarios.map((s) => t.scenarios.find((l) => l.scenario === s)?.saturationRps ?? null),
              ...limitValues.map(() => null),
            ],
          })),
          { name: "limit", values: [...scenarios.map(() => null), ...limitValues] },
        ],
      }),
    });
  }
  return charts;
}
