// summary.md: the targets table first, then the limits, each scenario's ladder, memory and the
// charts. Pure: results in, Markdown out.
import type { ChartFile } from "./charts.ts";
import type { BenchResults, TargetRow, TopologyResult } from "./results.ts";
import { formatStatuses, type LadderResult, type StepRecord } from "./scenario.runner.ts";

const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);
const rate = (rps: number | undefined) =>
  rps === undefined ? "—" : rps >= 100 ? Math.round(rps).toLocaleString("en-US") : rps.toFixed(1);
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** One target as a table cell: the figure in its unit. */
export function formatMeasured(row: TargetRow): string {
  if (row.measured === null) return "not measured";
  switch (row.unit) {
    case "×":
      return `${row.measured.toFixed(2)}×`;
    case "ms":
      return `${ms(row.measured)} ms`;
    case "MB":
      return `${row.measured.toFixed(1)} MB`;
    case "s":
      return `${row.measured.toFixed(2)} s`;
  }
}

/** ✅ pass, ❌ fail, ⚪ not measured. */
export function verdictMark(pass: boolean | null): string {
  return pass === null ? "⚪ n/a" : pass ? "✅ pass" : "❌ fail";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`),
  ];
}

function stepRow(step: StepRecord, label?: string): string[] {
  const l = step.latency;
  const verdict =
    (step.verdict.saturated ? `saturated: ${step.verdict.reasons.join("; ")}` : "ok") +
    (step.retriedFrom === undefined ? "" : ` (second try; the first had p99 ${ms(step.retriedFrom.p99Ms)} ms)`);
  return [
    label ?? `${step.offeredRps}${step.refining === true ? " (refining)" : ""}`,
    rate(step.achievedRps),
    ms(l.p50Ms),
    ms(l.p90Ms),
    ms(l.p99Ms),
    ms(l.maxMs),
    step.failed === 0 ? "0" : `${(step.errorRate * 100).toFixed(2)}% (${formatStatuses(step.statuses)})`,
    verdict,
  ];
}

function ladderSection(title: string, ladder: LadderResult): string[] {
  const rows = ladder.steps.map((s) => stepRow(s));
  if (ladder.at70 !== undefined) rows.push(stepRow(ladder.at70, `${ladder.at70.offeredRps} (70%)`));
  if (ladder.at70Again !== undefined) {
    rows.push(stepRow(ladder.at70Again, `${ladder.at70Again.offeredRps} (70%, again)`));
  }
  const all = [
    ...ladder.steps,
    ...[ladder.at70, ladder.at70Again].filter((step): step is StepRecord => step !== undefined),
  ];
  const total = (pick: (step: StepRecord) => Record<string, number>) =>
    all.reduce<Record<string, number>>((sum, step) => {
      for (const [status, n] of Object.entries(pick(step))) sum[status] = (sum[status] ?? 0) + n;
      return sum;
    }, {});
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([status, n]) => `${status} ${n}`)
      .join(", ");
  const orders = total((step) => step.counters.orders);
  const later = total((step) => step.counters.settledLater);
  const orderNote =
    Object.keys(orders).length === 0
      ? []
      : [
          `Orders answered: ${list(orders)}` +
            (Object.keys(later).length === 0 ? "." : `; the PENDING ones settled later as ${list(later)}.`),
          "",
        ];
  return [
    `#### ${title}`,
    "",
    `Probe (closed loop, ${ladder.probe.concurrency} workers): ${rate(ladder.probe.rps)}/s. ` +
      `Saturation: **${rate(ladder.saturationRps)}/s**${ladder.kneeFound ? "" : " (the ladder's top step still passed: the real saturation is higher)"}.`,
    "",
    ...table(["offered/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "stop rule"], rows),
    "",
    ...orderNote,
    ...(ladder.recoveries.length === 0
      ? []
      : [
          `Recoveries after overload: ${ladder.recoveries
            .map((r) => `${(r.waitedMs / 1000).toFixed(1)} s${r.recovered ? "" : " (not recovered)"}`)
            .join(", ")} (until 3 answers in a row within ${ms(ladder.recoveries[0]?.fastMs ?? 0)} ms).`,
          "",
        ]),
  ];
}

function topologySection(t: TopologyResult, charts: readonly ChartFile[]): string[] {
  const lines = [`## ${t.topology === "embedded" ? "Embedded" : "Distributed"} topology (${t.baseUrl})`, ""];
  if (t.error !== undefined) lines.push(`**Stopped early:** ${t.error}`, "");
  const sat = t.scenarios.map((s) => [
    s.scenario,
    rate(s.saturationRps) + (s.kneeFound ? "" : "+"),
    s.at70 === undefined
      ? "—"
      : `${ms(s.at70.latency.p50Ms)} / ${ms(s.at70.latency.p90Ms)} / ${ms(s.at70.latency.p99Ms)}`,
    s.at70 === undefined ? "—" : String(s.at70.offeredRps),
  ]);
  if (sat.length > 0) {
    lines.push(...table(["scenario", "saturation/s", "p50 / p90 / p99 at 70% (ms)", "70% rate/s"], sat), "");
  }
  if (t.memory?.kind === "embedded") {
    lines.push(
      `Memory: ${mb(t.memory.idleRssBytes)} MB idle after start, ${mb(t.memory.afterLoadRssBytes)} MB after the load, ` +
        `${mb(t.memory.peakRssBytes)} MB peak. Ready ${(t.readyMs / 1000).toFixed(2)} s from spawn with a fresh data directory ` +
        `(startEmbedded itself: ${((t.startupMs ?? 0) / 1000).toFixed(2)} s)` +
        (t.firstReadyMs === undefined
          ? ""
          : `; ${(t.firstReadyMs / 1000).toFixed(2)} s for the first start, which built the store template`) +
        (t.warmReadyMs === undefined
          ? "."
          : `; ${(t.warmReadyMs / 1000).toFixed(2)} s restarting on the seeded data.`) +
        (t.memory.afterScenarios === undefined || t.memory.afterScenarios.length === 0
          ? ""
          : ` At the end of each ladder (RSS / peak so far): ${t.memory.afterScenarios
              .map((after) => `${after.scenario} ${mb(after.rssBytes)} / ${mb(after.peakRssBytes)} MB`)
              .join(", ")}.`),
      "",
    );
  }
  if (t.memory?.kind === "distributed") {
    const after = new Map(t.memory.afterLoad.map((p) => [p.name, p]));
    const early = new Map((t.memory.justUp ?? []).map((p) => [p.name, p]));
    lines.push(
      `\`souk up\` took ${(t.readyMs / 1000).toFixed(1)} s. Resident memory per process ` +
        `(idle: settled after \`up\`, before any load; just after up: while consumers still join):`,
      "",
      ...table(
        ["process", "idle RSS MB", "just after up RSS MB", "after load RSS MB", "peak RSS MB"],
        t.memory.idle.map((p) => {
          const before = early.get(p.name);
          const later = after.get(p.name);
          return [
            p.name,
            mb(p.rssBytes),
            before === undefined ? "—" : mb(before.rssBytes),
            later === undefined ? "—" : mb(later.rssBytes),
            mb(later?.peakRssBytes ?? p.peakRssBytes),
          ];
        }),
      ),
      "",
    );
  }
  for (const ladder of t.scenarios) lines.push(...ladderSection(`${t.topology} · ${ladder.scenario}`, ladder));
  const own = charts.filter((c) => c.file.includes(`-${t.topology}`));
  if (own.length > 0) {
    lines.push("Charts:", "", ...own.map((c) => `![${c.title}](charts/${c.file})`), "");
  }
  return lines;
}

/** summary.md of a run. */
export function renderSummary(results: BenchResults, charts: readonly ChartFile[]): string {
  const m = results.machine;
  const lines: string[] = [
    `# Souk benchmark — ${results.startedAt.slice(0, 19).replace("T", " ")} UTC${results.quick ? " (--quick)" : ""}`,
    "",
    `${m.cpus} × ${m.cpuModel}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}; ` +
      `load average ${m.loadAverageAtStart.toFixed(2)} at the start. The run took ${(results.wallTimeMs / 60_000).toFixed(1)} min.`,
    "",
    "Every throughput is the saturation of an open-loop ladder (constant arrival rate; latency from the intended send " +
      "time, so a stalled server is charged for the queue it builds). Ratios compare with the machine's own limits " +
      "measured in this run, so they hold across machines; absolute rates do not. See bench/README.md.",
    "",
    ...(results.plan.storeStepMs === undefined
      ? []
      : [
          `The store's ladder steps lasted ${results.plan.storeStepMs / 1000} s (--step-seconds), the limits' ` +
            `${results.plan.ladder.stepMs / 1000} s.`,
          "",
        ]),
    "## Targets",
    "",
    ...table(
      ["topology", "target", "measured", "goal", "result", "how"],
      results.targets.map((r) => [
        r.topology,
        r.name,
        formatMeasured(r),
        `${r.comparison} ${r.target}${r.unit === "×" ? "×" : ` ${r.unit}`}`,
        verdictMark(r.pass),
        r.detail,
      ]),
    ),
    "",
    "## The machine's limits (same run)",
    "",
  ];
  const limits = results.limits;
  const limitRows: string[][] = [];
  for (const [kind, ladder] of [
    ["http", limits.nginxHttp],
    ["https", limits.nginxHttps],
  ] as const) {
    if (ladder === undefined) continue;
    limitRows.push([
      `NGINX static file over ${kind} (${limits.staticFileBytes ?? "?"} bytes, same generator)`,
      `${rate(ladder.saturationRps)}/s${ladder.kneeFound ? "" : "+"}`,
      ladder.at70 === undefined ? "" : `p99 ${ms(ladder.at70.latency.p99Ms)} ms at ${ladder.at70.offeredRps}/s`,
    ]);
  }
  for (const pg of limits.pgbench ?? []) {
    limitRows.push([
      `pgbench: the ${pg.script}'s SQL`,
      `${rate(pg.bestTps)}/s`,
      pg.runs.map((r) => `${r.clients} clients: ${rate(r.tps)}/s, ${ms(r.latencyAvgMs)} ms avg`).join("; "),
    ]);
  }
  for (const r of limits.redis?.results ?? []) {
    limitRows.push([
      `redis-benchmark ${r.test} (${limits.redis?.clients ?? "?"} clients)`,
      `${rate(r.rps)}/s`,
      `p99 ${ms(r.p99LatencyMs)} ms`,
    ]);
  }
  lines.push(...table(["limit", "rate", "detail"], limitRows), "");
  if (limits.errors.length > 0) lines.push(...limits.errors.map((e) => `- not measured: ${e}`), "");
  for (const t of results.topologies) lines.push(...topologySection(t, charts));
  const rest = charts.filter((c) => !results.topologies.some((t) => c.file.includes(`-${t.topology}`)));
  if (rest.length > 0)
    lines.push("## Limits and overview charts", "", ...rest.map((c) => `![${c.title}](charts/${c.file})`), "");
  lines.push(
    "## Environment of the stores under test",
    "",
    "Rate limits and the fraud velocity rule are raised so one load generator on one IP can drive thousands of " +
      "requests a minute (the checks still run):",
    "",
    ...Object.entries(results.storeEnv).map(([k, v]) => `- \`${k}=${v}\``),
    "",
  );
  return lines.join("\n");
}
