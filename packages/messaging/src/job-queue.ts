import type { BackoffPolicy, EventEnvelope, Subscription } from "./envelope.ts";

/** A work queue to declare if missing, with its retry policy. */
export interface QueueSpec {
  readonly name: string;
  /** Attempts before a job is dead-lettered (first delivery included). Default 5. */
  readonly maxAttempts?: number;
  /** Delay before retry n is `min(maxMs, baseMs · 2^(n-1))`. Default 1 s → 60 s. */
  readonly backoff?: BackoffPolicy;
}

/** A job as a worker receives it. */
export interface ReceivedJob extends EventEnvelope {
  readonly queue: string;
  /** 1 on first delivery. */
  readonly attempt: number;
}

/** A job that exhausted its attempts or was poison, with why. */
export interface DeadLetter extends EventEnvelope {
  readonly queue: string;
  readonly attempts: number;
  /** `PoisonMessageError.reason`, or `max_attempts: <last error message>`. */
  readonly reason: string;
  readonly failedAt: Date;
}

/** Options of `JobQueue.consume`. */
export interface ConsumeOptions {
  readonly queue: string;
  /** Jobs handled at once by this worker (prefetch). Default 8. */
  readonly concurrency?: number;
  /**
   * Resolving acknowledges the job. Throwing a PoisonMessageError dead-letters it at once;
   * anything else schedules a retry after the queue's backoff, until `maxAttempts`, then
   * dead-letters it with the last error.
   */
  readonly handle: (job: ReceivedJob) => Promise<void>;
}

/**
 * Port: durable work queues (RabbitMQ quorum queues; an in-process twin embedded) with ack,
 * retries with exponential backoff, delayed delivery and a dead-letter queue per queue.
 */
export interface JobQueue {
  /** Declares the queues (and their retry and dead-letter queues). Idempotent. */
  ensureQueues(queues: readonly QueueSpec[]): Promise<void>;
  /**
   * Enqueues `jobs` on `queue`, after `delayMs` when given, and resolves once the broker has
   * confirmed them (publisher confirms).
   *
   * @throws Error when the broker cannot be reached or refuses (unknown queue).
   */
  enqueue(queue: string, jobs: readonly EventEnvelope[], options?: { readonly delayMs?: number }): Promise<void>;
  /** Starts a worker on `queue`. */
  consume(options: ConsumeOptions): Promise<Subscription>;
  /** Starts a consumer of `queue`'s dead letters (each handled once, acknowledged on resolve). */
  consumeDeadLetters(queue: string, handle: (dead: DeadLetter) => Promise<void>): Promise<Subscription>;
  /** Closes workers and connections. */
  close(): Promise<void>;
}
