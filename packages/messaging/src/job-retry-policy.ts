import { runAsBackgroundWork, SpanKind, withSpan } from "@souk/platform";
import type { BackoffPolicy, EventEnvelope } from "./envelope.ts";
import type { QueueSpec } from "./job-queue.ts";

/** Attempts before a job is dead-lettered when a `QueueSpec` does not say (first delivery included). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Backoff between job attempts when a `QueueSpec` does not say: 1 s, 2 s, 4 s, … capped at 60 s. */
export const DEFAULT_JOB_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/** A `QueueSpec` with its defaults filled in and checked. */
export interface ResolvedQueueSpec {
  readonly name: string;
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
}

/**
 * Fills in a queue spec's defaults (`DEFAULT_MAX_ATTEMPTS`, `DEFAULT_JOB_BACKOFF`) and checks it.
 *
 * @throws RangeError when the name is empty, `maxAttempts` is not an integer ≥ 1, or the backoff
 *   is not `0 < baseMs ≤ maxMs` (integers, milliseconds).
 */
export function resolveQueueSpec(spec: QueueSpec): ResolvedQueueSpec {
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const backoff = spec.backoff ?? DEFAULT_JOB_BACKOFF;
  if (spec.name === "") throw new RangeError("a queue needs a name");
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`queue ${spec.name}: maxAttempts must be an integer ≥ 1, got ${maxAttempts}`);
  }
  if (
    !Number.isInteger(backoff.baseMs) ||
    !Number.isInteger(backoff.maxMs) ||
    backoff.baseMs <= 0 ||
    backoff.maxMs < backoff.baseMs
  ) {
    throw new RangeError(
      `queue ${spec.name}: backoff must be integers with 0 < baseMs ≤ maxMs, got ${backoff.baseMs} → ${backoff.maxMs}`,
    );
  }
  return { name: spec.name, maxAttempts, backoff };
}

/**
 * Delay in milliseconds before the attempt after failed attempt `attempt` (1-based):
 * `min(maxMs, baseMs · 2^(attempt-1))` — deterministic (no jitter), so that a broker can hold one
 * delay queue per step.
 */
export function retryDelayMs(backoff: BackoffPolicy, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** The distinct retry delays of a spec, in attempt order (one per failed attempt that is retried). */
export function retryDelaysMs(spec: ResolvedQueueSpec): number[] {
  const delays = new Set<number>();
  for (let attempt = 1; attempt < spec.maxAttempts; attempt++) delays.add(retryDelayMs(spec.backoff, attempt));
  return [...delays];
}

/**
 * The dead-letter reason of a job that failed its last attempt: `max_attempts: <error message>`
 * (the format `DeadLetter.reason` documents).
 */
export function maxAttemptsReason(error: unknown): string {
  return `max_attempts: ${error instanceof Error ? error.message : String(error)}`;
}

/** Checks a `delayMs` option: a finite number ≥ 0 (0 or undefined means now). @throws RangeError otherwise. */
export function checkDelayMs(delayMs: number | undefined): number {
  const value = delayMs ?? 0;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`delayMs must be a finite number ≥ 0, got ${value}`);
  return value;
}

/** Checks a consumer's concurrency: an integer ≥ 1 (default 8). @throws RangeError otherwise. */
export function checkConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? 8;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`concurrency must be an integer ≥ 1, got ${value}`);
  return value;
}

/**
 * Runs one attempt of a job of `queue`: `handle` inside a consumer span of the job's trace
 * (`<queue> process`, continuing the envelope's `traceparent`), as background work (on the
 * embedded database its statements give way to requests'). Resolves or rejects as `handle` does.
 */
export function runJobAttempt(
  queue: string,
  job: Pick<EventEnvelope, "traceparent" | "tracestate">,
  handle: () => Promise<void>,
): Promise<void> {
  const carrier = { traceparent: job.traceparent, tracestate: job.tracestate };
  return runAsBackgroundWork(() => withSpan(`${queue} process`, SpanKind.CONSUMER, carrier, handle));
}
