// Latency recording: HdrHistogram in microseconds (3 significant digits), summarized in milliseconds.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";

/** Percentiles of one histogram, in milliseconds; `count` is how many values were recorded. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** An empty histogram for latencies in microseconds (1 µs .. hours, 3 significant digits). */
export function newLatencyHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records `ms` (rounded to whole microseconds, at least 1). */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** The summary of a histogram of microseconds; all zeros when it is empty. */
export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  const max = histogram.maxValue;
  // A percentile reads the top of its bucket, which can sit a hair above the true maximum.
  const at = (percentile: number) => round3(Math.min(histogram.getValueAtPercentile(percentile), max) / 1000);
  return {
    count: histogram.totalCount,
    meanMs: round3(histogram.mean / 1000),
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: round3(max / 1000),
  };
}

/** The histogram as HdrHistogram's compressed base64 (readable by any HdrHistogram port). */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** A histogram back from `encodeHistogram`. */
export function decodeHistogram(base64: string): Histogram {
  return decodeFromCompressedBase64(base64);
}

/** `value` rounded to 3 decimals. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
