import { describe, expect, it } from "vitest";
import { buildCharts } from "./charts.ts";
import { DISTRIBUTED, EMBEDDED, LIMITS, benchResults } from "./results.fixtures.ts";
import { computeTargets } from "./results.ts";
import { escapeXml, formatTick, logTicks, niceTicks, renderBarChart, renderLineChart } from "./svg-chart.ts";

/** Every tag of an SVG document, opening and closing, balanced. */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing === "/") continue;
    if (closing === "/") expect(stack.pop()).toBe(name);
    else stack.push(name ?? "");
  }
  expect(stack).toEqual([]);
}

describe("the SVG charts", () => {
  it("draws one polyline per series, a marker per point, a legend and the title", () => {
    const svg = renderLineChart({
      title: "latency <p99> & co",
      xLabel: "offered",
      yLabel: "ms",
      logY: true,
      series: [
        {
          name: "p50",
          points: [
            { x: 100, y: 1 },
            { x: 200, y: 2 },
          ],
        },
        {
          name: "p99",
          points: [
            { x: 100, y: 5 },
            { x: 200, y: 500 },
          ],
        },
      ],
      threshold: { y: 25, label: "p99 target 25 ms" },
    });
    expectWellFormed(svg);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain("<title>latency &lt;p99&gt; &amp; co</title>");
    expect(svg).toContain(">p99 target 25 ms</text>");
    expect(svg).toContain(">p50</text>");
  });

  it("leaves out points a log axis cannot show, and says when there is no data", () => {
    const svg = renderLineChart({
      title: "t",
      xLabel: "x",
      yLabel: "y",
      logY: true,
      series: [{ name: "a", points: [{ x: 1, y: 0 }] }],
    });
    expectWellFormed(svg);
    expect(svg).toContain("no data");
  });

  it("draws one bar per present value, with a gap for a missing one", () => {
    const svg = renderBarChart({
      title: "saturation",
      yLabel: "ops/s",
      categories: ["product", "search"],
      series: [
        { name: "embedded", values: [1000, 200] },
        { name: "distributed", values: [500, null] },
      ],
    });
    expectWellFormed(svg);
    expect(svg.match(/<rect x=/g)).toHaveLength(3);
    expect(svg).toContain(">product</text>");
  });

  it("picks round ticks", () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(formatTick(1500)).toBe("1.5k");
    expect(formatTick(0.25)).toBe("0.25");
    expect(escapeXml(`"a" & 'b'`)).toBe("&quot;a&quot; &amp; &apos;b&apos;");
  });

  it("makes a latency chart per scenario and topology, throughput charts and the saturation overview", () => {
    const charts = buildCharts(benchResults(computeTargets(LIMITS, [EMBEDDED, DISTRIBUTED])));
    const files = charts.map((c) => c.file);
    expect(files).toContain("latency-embedded-product.svg");
    expect(files).toContain("latency-distributed-checkout.svg");
    expect(files).toContain("throughput-embedded.svg");
    expect(files).toContain("latency-nginx-static-https.svg");
    expect(files).toContain("saturation.svg");
    for (const chart of charts) expectWellFormed(chart.svg);
  });
});
