// Two small chart kinds written straight as SVG (no browser, no dependency): lines over a numeric
// x axis (optionally a logarithmic y axis), and grouped bars. Pure: data in, SVG text out.

/** One line of a line chart. */
export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** Dashed, for a reference line (e.g. achieved = offered). */
  readonly dashed?: boolean;
}

/** A line chart. */
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** A logarithmic y axis (latencies spanning orders of magnitude). Values ≤ 0 are left out. */
  readonly logY?: boolean;
  /** A horizontal marker line (e.g. a p99 target). */
  readonly threshold?: { readonly y: number; readonly label: string };
}

/** A grouped bar chart: one group of bars per category, one bar per series. */
export interface BarChart {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  /** `values[i]` belongs to `categories[i]`; null leaves a gap. */
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
}

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 24, bottom: 64, left: 72 };
const LEGEND_HEIGHT = 18;
/** Colour-blind-friendly palette (Okabe–Ito). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** About `count` round tick values (1, 2, 5 × 10^n steps) from min up to the first one at or above max. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  const last = Math.ceil(max / step - 1e-9) * step;
  for (let v = Math.ceil(min / step) * step; v <= last + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Tick values 1, 2, 5 × 10^n within [min, max] (both > 0), for a logarithmic axis. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e += 1) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/** A number for a tick label: 1.5k, 20, 0.5. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (abs >= 1_000) return `${trim(value / 1_000)}k`;
  return trim(value);
}

function trim(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function legend(names: readonly { name: string; color: string; dashed?: boolean }[]): string[] {
  const parts: string[] = [];
  let x = MARGIN.left;
  const y = HEIGHT - 14;
  for (const item of names) {
    const dash = item.dashed === true ? ' stroke-dasharray="5 4"' : "";
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${item.color}" stroke-width="3"${dash}/>`,
      `<text x="${x + 24}" y="${y}">${escapeXml(item.name)}</text>`,
    );
    x += 24 + item.name.length * 7 + 20;
  }
  return parts;
}

function axisLabels(xLabel: string, yLabel: string, plotBottom: number): string[] {
  return [
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${plotBottom + 36}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${(MARGIN.top + plotBottom) / 2}" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${(MARGIN.top + plotBottom) / 2})">${escapeXml(yLabel)}</text>`,
  ];
}

/** Renders a line chart (markers on every point, a legend below). */
export function renderLineChart(chart: LineChart): string {
  const series = chart.series.map((s) => ({
    ...s,
    points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!chart.logY || p.y > 0)),
  }));
  const all = series.flatMap((s) => s.points);
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom - LEGEND_HEIGHT;
  const body: string[] = [];
  if (all.length === 0) {
    body.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#666">no data</text>`);
    return frame(chart.title, body);
  }
  const xMax = Math.max(...all.map((p) => p.x)) * 1.05;
  const xTicks = niceTicks(0, xMax);
  const xHigh = Math.max(xMax, xTicks.at(-1) ?? xMax);
  const ys = all.map((p) => p.y).concat(chart.threshold === undefined ? [] : [chart.threshold.y]);
  let yOf: (y: number) => number;
  let yTicks: number[];
  if (chart.logY === true) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
    yTicks = logTicks(lo, hi);
    yOf = (y) => bottom - ((Math.log10(y) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * (bottom - top);
  } else {
    yTicks = niceTicks(0, Math.max(...ys) * 1.05);
    const hi = Math.max(yTicks.at(-1) ?? 1, Math.max(...ys));
    yOf = (y) => bottom - (y / (hi || 1)) * (bottom - top);
  }
  const xOf = (x: number) => left + (x / (xHigh || 1)) * (right - left);

  for (const t of yTicks) {
    const y = yOf(t).toFixed(1);
    body.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = xOf(t).toFixed(1);
    body.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${bottom + 18}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  body.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
  );
  if (chart.threshold !== undefined) {
    const y = yOf(chart.threshold.y).toFixed(1);
    body.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#C00000" stroke-dasharray="6 4"/>`,
      `<text x="${right - 4}" y="${Number(y) - 5}" text-anchor="end" fill="#C00000">${escapeXml(chart.threshold.label)}</text>`,
    );
  }
  const keys: { name: string; color: string; dashed?: boolean }[] = [];
  series.forEach((s, index) => {
    const color = PALETTE[index % PALETTE.length] ?? "#000";
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const path = sorted.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(" ");
    const dash = s.dashed === true ? ' stroke-dasharray="5 4"' : "";
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${path}"/>`);
    if (s.dashed !== true) {
      for (const p of sorted) {
        body.push(
          `<circle cx="${xOf(p.x).toFixed(1)}" cy="${yOf(p.y).toFixed(1)}" r="3" fill="${color}">` +
            `<title>${escapeXml(`${s.name}: ${formatTick(p.y)} at ${formatTick(p.x)}`)}</title></circle>`,
        );
      }
    }
    keys.push({ name: s.name, color, ...(s.dashed === true ? { dashed: true } : {}) });
  });
  body.push(...axisLabels(chart.xLabel, chart.yLabel, bottom));
  body.push(...legend(keys));
  return frame(chart.title, body);
}

/** Renders a grouped bar chart (value labels on the bars, a legend below). */
export function renderBarChart(chart: BarChart): string {
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom - LEGEND_HEIGHT;
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const body: string[] = [];
  if (values.length === 0 || chart.categories.length === 0) {
    body.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#666">no data</text>`);
    return frame(chart.title, body);
  }
  const yTicks = niceTicks(0, Math.max(...values) * 1.1);
  const hi = Math.max(yTicks.at(-1) ?? 1, ...values);
  const yOf = (y: number) => bottom - (y / (hi || 1)) * (bottom - top);
  for (const t of yTicks) {
    const y = yOf(t).toFixed(1);
    body.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  const groupWidth = (right - left) / chart.categories.length;
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length);
  chart.categories.forEach((category, c) => {
    const groupLeft = left + c * groupWidth + groupWidth * 0.1;
    chart.series.forEach((s, i) => {
      const value = s.values[c];
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      const x = groupLeft + i * barWidth;
      const y = yOf(value);
      const color = PALETTE[i % PALETTE.length] ?? "#000";
      body.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(bottom - y).toFixed(1)}" fill="${color}">` +
          `<title>${escapeXml(`${category} — ${s.name}: ${formatTick(value)}`)}</title></rect>`,
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${formatTick(value)}</text>`,
      );
    });
    body.push(
      `<text x="${(groupLeft + groupWidth * 0.4).toFixed(1)}" y="${bottom + 18}" text-anchor="middle">${escapeXml(category)}</text>`,
    );
  });
  body.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
    ...axisLabels("", chart.yLabel, bottom),
  );
  body.push(...legend(chart.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length] ?? "#000" }))));
  return frame(chart.title, body);
}
