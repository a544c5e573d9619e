// The load generator's two loops: an open loop at a constant arrival rate (what every ladder step
// runs), and a closed loop of N back-to-back workers (the short probe that finds where to put the
// ladder, and warms the server up).
import type { Histogram } from "hdr-histogram-js";
import { achievedRate } from "./ladder.ts";
import { encodeHistogram, newLatencyHistogram, recordMs, summarize, type LatencySummary } from "./latency.ts";
import { dueCount, intendedSendMs, totalRequests } from "./rate-schedule.ts";

/** How one operation ended: `ok` for a 2xx; `status` is the HTTP status or timeout/network/aborted/dropped. */
export interface OperationResult {
  readonly ok: boolean;
  readonly status: string;
}

/** One unit of work: an HTTP request, or a short sequence a shopper does as one action. */
export interface Operation {
  /** The endpoint class it is timed under (product, search, checkout, …). */
  readonly kind: string;
  /** Runs it; must settle soon after `signal` aborts. A rejection counts as a network error. */
  run(signal: AbortSignal): Promise<OperationResult>;
}

/** Monotonic time in milliseconds (performance.now in production; a fake in tests). */
export interface Clock {
  now(): number;
}

/** Live counters of a running loop, for the progress display. */
export interface LoopProgress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly pending: number;
}

/** Latency and errors of one kind of operation within a step. */
export interface KindStats {
  readonly count: number;
  readonly errors: number;
  readonly latency: LatencySummary;
}

/** Everything one open-loop step measured. Latencies run from the intended send time. */
export interface StepStats {
  readonly offeredRps: number;
  readonly durationMs: number;
  /** Operations due in the step (rate × duration). */
  readonly scheduled: number;
  readonly succeeded: number;
  /** Non-2xx answers, timeouts, network errors, aborted at the end of the drain, and dropped. */
  readonly failed: number;
  readonly errorRate: number;
  /** Successful completions per second over the span they landed in (ladder.ts: achievedRate). */
  readonly achievedRps: number;
  /** Count per status: "200", "409", "timeout", "network", "aborted", "dropped". */
  readonly statuses: Readonly<Record<string, number>>;
  /** From the intended send time to the end of the answer: what a user waits (coordinated-omission free). */
  readonly latency: LatencySummary;
  /** From the moment the generator actually sent to the end of the answer (what a closed-loop tool reports). */
  readonly serviceTime: LatencySummary;
  readonly byKind: Readonly<Record<string, KindStats>>;
  /** The most operations in flight at once. */
  readonly maxPending: number;
  /** The generator's worst lateness in sending (ms): large values mean the generator itself was starved. */
  readonly maxSendLagMs: number;
  /** The whole step, drain included (ms). */
  readonly elapsedMs: number;
  /** `latency` as HdrHistogram compressed base64, for later analysis. */
  readonly histogram: string;
}

/** Options of `runOpenLoopStep`. */
export interface OpenLoopOptions {
  readonly rateRps: number;
  readonly durationMs: number;
  /** After the last send, how long to wait for answers before aborting the rest (ms). */
  readonly drainMs: number;
  /** More operations in flight than this and new ones are dropped (counted as failures). */
  readonly maxPending: number;
  /** The next operation to send (the scenario's mix). */
  next(): Operation;
  readonly onProgress?: (progress: LoopProgress) => void;
  readonly progressEveryMs?: number;
}

/** After the drain's abort, how long to wait for operations to notice before giving up on them (ms). */
const ABORT_GRACE_MS = 2_000;

/** Collects results of one loop. */
function createTally(clock: Clock, startMs: number) {
  const latency = newLatencyHistogram();
  const serviceTime = newLatencyHistogram();
  const kinds = new Map<string, { count: number; errors: number; histogram: Histogram }>();
  const statuses: Record<string, number> = {};
  let succeeded = 0;
  let failed = 0;
  let firstOkMs = Number.NaN;
  let lastOkMs = Number.NaN;
  return {
    record(kind: string, result: OperationResult, intendedMs: number, sentMs: number): void {
      const now = clock.now();
      recordMs(latency, now - intendedMs);
      recordMs(serviceTime, now - sentMs);
      let stats = kinds.get(kind);
      if (stats === undefined) {
        stats = { count: 0, errors: 0, histogram: newLatencyHistogram() };
        kinds.set(kind, stats);
      }
      stats.count += 1;
      recordMs(stats.histogram, now - intendedMs);
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.ok) {
        succeeded += 1;
        if (Number.isNaN(firstOkMs)) firstOkMs = now;
        lastOkMs = now;
      } else {
        failed += 1;
        stats.errors += 1;
      }
    },
    /** Counts an operation that never ran (dropped) or never settled (lost). */
    uncounted(status: string, n: number): void {
      if (n <= 0) return;
      statuses[status] = (statuses[status] ?? 0) + n;
      failed += n;
    },
    get succeeded() {
      return succeeded;
    },
    get failed() {
      return failed;
    },
    finish(offeredRps: number) {
      const total = succeeded + failed;
      return {
        succeeded,
        failed,
        errorRate: total === 0 ? 0 : failed / total,
        achievedRps: achievedRate(succeeded, firstOkMs, lastOkMs, offeredRps),
        statuses: { ...statuses },
        latency: summarize(latency),
        serviceTime: summarize(serviceTime),
        byKind: Object.fromEntries(
          [...kinds].map(([kind, s]) => [kind, { count: s.count, errors: s.errors, latency: summarize(s.histogram) }]),
        ),
        histogram: encodeHistogram(latency),
        elapsedMs: clock.now() - startMs,
      };
    },
  };
}

/**
 * Runs one open-loop step: operation i is sent at start + i / rate (constant arrival rate, late
 * sends catch up at once), however many are still in flight, and timed from that intended
 * instant. After the last send it waits up to `drainMs` for answers, then aborts the rest
 * (counted as "aborted" failures with their latency so far).
 */
export function runOpenLoopStep(options: OpenLoopOptions, clock: Clock): Promise<StepStats> {
  const startMs = clock.now();
  const total = totalRequests(options.rateRps, options.durationMs);
  const tally = createTally(clock, startMs);
  // Each operation in flight has a signal of its own, aborted at the end of the drain. One
  // step-wide signal would collect a listener per operation, and Node's EventTarget checks for a
  // duplicate on every add — O(in flight) each: an overloaded step (thousands in flight) spent up
  // to 58 % of the generator's thread adding listeners, starving the server it measured. Its
  // size is the count of operations in flight.
  const inFlight = new Set<AbortController>();
  let sent = 0;
  let maxPending = 0;
  let dropped = 0;
  let maxSendLagMs = 0;
  let onIdle: (() => void) | undefined;

  const progress = options.onProgress;
  const progressTimer =
    progress === undefined
      ? undefined
      : setInterval(
          () =>
            progress({
              elapsedMs: clock.now() - startMs,
              sent,
              succeeded: tally.succeeded,
              failed: tally.failed + dropped,
              pending: inFlight.size,
            }),
          options.progressEveryMs ?? 500,
        );

  function dispatch(index: number, nowMs: number): void {
    const intendedMs = intendedSendMs(startMs, options.rateRps, index);
    maxSendLagMs = Math.max(maxSendLagMs, nowMs - intendedMs);
    if (inFlight.size >= options.maxPending) {
      dropped += 1;
      return;
    }
    const operation = options.next();
    const abort = new AbortController();
    inFlight.add(abort);
    maxPending = Math.max(maxPending, inFlight.size);
    const settle = (result: OperationResult) => {
      inFlight.delete(abort);
      tally.record(operation.kind, result, intendedMs, nowMs);
      if (inFlight.size === 0) onIdle?.();
    };
    let running: Promise<OperationResult>;
    try {
      running = operation.run(abort.signal);
    } catch {
      running = Promise.resolve({ ok: false, status: "network" });
    }
    running.then(settle, () => settle({ ok: false, status: abort.signal.aborted ? "aborted" : "network" }));
  }

  return new Promise((resolve) => {
    const finish = () => {
      if (progressTimer !== undefined) clearInterval(progressTimer);
      tally.uncounted("dropped", dropped);
      tally.uncounted("lost", inFlight.size);
      const result = tally.finish(options.rateRps);
      resolve({
        offeredRps: options.rateRps,
        durationMs: options.durationMs,
        scheduled: total,
        ...result,
        maxPending,
        maxSendLagMs: Math.round(maxSendLagMs * 1000) / 1000,
      });
    };

    const drain = () => {
      const waitUntilIdle = (timeoutMs: number, then: () => void) => {
        if (inFlight.size === 0) return then();
        const timer = setTimeout(() => {
          onIdle = undefined;
          then();
        }, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          onIdle = undefined;
          then();
        };
      };
      const drainLeftMs = Math.max(0, startMs + options.durationMs + options.drainMs - clock.now());
      waitUntilIdle(drainLeftMs, () => {
        if (inFlight.size === 0) return finish();
        for (const operation of inFlight) operation.abort();
        waitUntilIdle(ABORT_GRACE_MS, finish);
      });
    };

    const tick = () => {
      const nowMs = clock.now();
      const due = dueCount(nowMs - startMs, options.rateRps, total);
      while (sent < due) {
        dispatch(sent, nowMs);
        sent += 1;
      }
      if (sent >= total) return drain();
      const waitMs = intendedSendMs(startMs, options.rateRps, sent) - clock.now();
      setTimeout(tick, Math.max(0, Math.min(waitMs, 50)));
    };
    tick();
  });
}

/** What a closed-loop probe measured. */
export interface ProbeStats {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Successful operations per second over the probe. */
  readonly rps: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly latency: LatencySummary;
}

/**
 * Runs `concurrency` workers back to back for `durationMs` (each sends its next operation when
 * the previous one answers): the most the server does at that concurrency. Used to place the
 * ladder and to warm up, never to report latency (a closed loop hides queueing).
 */
export async function runClosedLoop(
  options: {
    readonly concurrency: number;
    readonly durationMs: number;
    next(): Operation;
    readonly onProgress?: (progress: LoopProgress) => void;
  },
  clock: Clock,
): Promise<ProbeStats> {
  const startMs = clock.now();
  const endMs = startMs + options.durationMs;
  const tally = createTally(clock, startMs);
  const abort = new AbortController();
  const hardStop = setTimeout(() => abort.abort(), options.durationMs + 10_000);
  let sent = 0;
  let pending = 0;
  const progressTimer =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => {
          options.onProgress?.({
            elapsedMs: clock.now() - startMs,
            sent,
            succeeded: tally.succeeded,
            failed: tally.failed,
            pending,
          });
        }, 500);
  const worker = async () => {
    while (clock.now() < endMs && !abort.signal.aborted) {
      const operation = options.next();
      const sentMs = clock.now();
      sent += 1;
      pending += 1;
      let result: OperationResult;
      try {
        result = await operation.run(abort.signal);
      } catch {
        result = { ok: false, status: abort.signal.aborted ? "aborted" : "network" };
      }
      pending -= 1;
      tally.record(operation.kind, result, sentMs, sentMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  clearTimeout(hardStop);
  if (progressTimer !== undefined) clearInterval(progressTimer);
  const elapsedMs = clock.now() - startMs;
  const result = tally.finish(0);
  return {
    concurrency: options.concurrency,
    durationMs: elapsedMs,
    succeeded: result.succeeded,
    failed: result.failed,
    rps: elapsedMs > 0 ? (result.succeeded * 1000) / elapsedMs : 0,
    statuses: result.statuses,
    latency: result.latency,
  };
}
