import { describe, expect, it } from "vitest";
import { buildCharts } from "./charts.ts";
import { DISTRIBUTED, EMBEDDED, LIMITS, benchResults } from "./results.fixtures.ts";
import { computeTargets } from "./results.ts";
import { formatMeasured, renderSummary, verdictMark } from "./summary.ts";

describe("summary.md", () => {
  const results = benchResults(computeTargets(LIMITS, [EMBEDDED, DISTRIBUTED]));
  const charts = buildCharts(results);
  const markdown = renderSummary(results, charts);

  it("opens with the targets table: measured, goal, pass/fail", () => {
    const targets = markdown.slice(markdown.indexOf("## Targets"), markdown.indexOf("## The machine's limits"));
    expect(targets).toContain("| topology | target | measured | goal | result | how |");
    expect(targets).toContain("| embedded | product page (cache hit) / NGINX static file | 0.60× | ≥ 0.5× | ✅ pass |");
    expect(targets).toContain("| embedded | search p99 at 70% of saturation | 30.0 ms | ≤ 25 ms | ❌ fail |");
    expect(targets).toContain(
      "| distributed | largest idle RSS of one service process | 170.0 MB | < 100 MB | ❌ fail |",
    );
  });

  it("says when the store's steps were not the plan's (--step-seconds)", () => {
    expect(markdown).not.toContain("--step-seconds");
    const longSteps = { ...results, plan: { ...results.plan, storeStepMs: 20_000 } };
    expect(renderSummary(longSteps, charts)).toContain(
      "The store's ladder steps lasted 20 s (--step-seconds), the limits' 4 s.",
    );
  });

  it("lists the limits, every ladder step and the charts", () => {
    expect(markdown).toContain("| NGINX static file over http (413 bytes, same generator) | 10,000/s |");
    expect(markdown).toContain("| pgbench: the checkout's SQL | 70.0/s |");
    expect(markdown).toContain("#### embedded · product");
    expect(markdown).toContain("| 4200 (70%) |");
    expect(markdown).toContain("| 4200 (70%, again) |");
    expect(markdown).toContain("saturated: achieved 80% of offered (< 90%)");
    expect(markdown).toContain("| 6600 (refining) | 5,700 |");
    expect(markdown).toContain(
      "![embedded product: latency percentiles vs offered rate](charts/latency-embedded-product.svg)",
    );
    expect(markdown).toContain("(charts/saturation.svg)");
    expect(markdown).toContain(
      "Ready 6.80 s from spawn with a fresh data directory (startEmbedded itself: 6.00 s); " +
        "7.40 s for the first start, which built the store template; 1.90 s restarting on the seeded data.",
    );
    expect(markdown).toContain(
      "At the end of each ladder (RSS / peak so far): product 240.0 / 250.0 MB, checkout 300.0 / 320.0 MB, mix 270.0 / 320.0 MB.",
    );
  });

  it("gives each cluster process its settled idle memory beside the one just after up", () => {
    expect(markdown).toContain("| process | idle RSS MB | just after up RSS MB | after load RSS MB | peak RSS MB |");
    expect(markdown).toContain("| souk-catalog | 150.0 | 155.0 | 190.0 | 200.0 |");
    expect(markdown).toContain("| souk-gateway-1 | 170.0 | — | — | 180.0 |");
  });

  it("formats figures and verdicts", () => {
    expect(verdictMark(true)).toBe("✅ pass");
    expect(verdictMark(false)).toBe("❌ fail");
    expect(verdictMark(null)).toBe("⚪ n/a");
    expect(
      formatMeasured({
        topology: "embedded",
        name: "x",
        measured: null,
        unit: "ms",
        comparison: "≤",
        target: 1,
        pass: null,
        detail: "",
      }),
    ).toBe("not measured");
  });
});
