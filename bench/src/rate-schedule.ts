// The open-loop schedule: request i of a step is due at startMs + i / rate, whatever happened to
// the requests before it. Latency is measured from that intended time, so a stalled server is
// charged for every request it kept waiting (no coordinated omission).

/** How many requests a step of `rateRps` lasting `durationMs` sends in all (at least one). */
export function totalRequests(rateRps: number, durationMs: number): number {
  if (!(rateRps > 0) || !(durationMs > 0)) throw new RangeError("rate and duration must be positive");
  return Math.max(1, Math.floor((rateRps * durationMs) / 1000));
}

/** When request `index` (0-based) is due, in the same clock as `startMs` (milliseconds). */
export function intendedSendMs(startMs: number, rateRps: number, index: number): number {
  return startMs + (index * 1000) / rateRps;
}

/**
 * How many requests are due `elapsedMs` after the start: those whose intended time is at or
 * before now (request 0 is due at once), capped at `total`. Negative elapsed time is 0.
 */
export function dueCount(elapsedMs: number, rateRps: number, total: number): number {
  if (elapsedMs < 0) return Math.min(1, total);
  return Math.min(total, Math.floor((elapsedMs * rateRps) / 1000) + 1);
}
