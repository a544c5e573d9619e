import { createLogger, type Logger } from "@souk/platform";
import { checkEnvelope, copyEnvelope, PoisonMessageError, type EventEnvelope, type Subscription } from "./envelope.ts";
import type { ConsumeOptions, DeadLetter, JobQueue, QueueSpec, ReceivedJob } from "./job-queue.ts";
import {
  checkConcurrency,
  checkDelayMs,
  maxAttemptsReason,
  resolveQueueSpec,
  retryDelayMs,
  runJobAttempt,
  type ResolvedQueueSpec,
} from "./job-retry-policy.ts";

/** Options of `createInProcessJobQueue`. */
export interface InProcessJobQueueOptions {
  /** Where retries, dead letters and failed dead-letter handlers are logged; default silent. */
  readonly logger?: Logger;
}

/** Backoff between attempts of a failing dead-letter handler (the letter is held meanwhile). */
const DEAD_LETTER_RETRY = { baseMs: 100, maxMs: 30_000 };

/**
 * The in-process twin of the RabbitMQ job queue, for the embedded topology and tests: the same
 * semantics in memory, without a broker.
 *
 * - Queues must be declared with `ensureQueues` before `enqueue`, `consume` or
 *   `consumeDeadLetters` (else they throw, as RabbitMQ refuses an unknown queue).
 * - Jobs go to workers round-robin; a worker runs at most `concurrency` handlers at once. Nothing
 *   polls: a job is dispatched when it is enqueued, when its delay or retry timer fires, and when
 *   a handler settles.
 * - A handler that resolves acknowledges its job. One that throws a `PoisonMessageError` — or a job
 *   missing a required CloudEvents attribute (`missing_attribute`) — is dead-lettered at once.
 *   Any other error retries it after `min(maxMs, baseMs · 2^(attempt-1))` on a timer, until
 *   `maxAttempts`, then dead-letters it with `max_attempts: <last error message>`.
 * - Dead letters wait per queue for `consumeDeadLetters`; each consumer handles one at a time and
 *   retries a failing handler with backoff (100 ms → 30 s), holding the letter.
 * - Data buffers are copied on enqueue and on each delivery: a producer or handler mutating its
 *   bytes changes nothing queued.
 * - Handlers run inside a CONSUMER span `<queue> process`, child of the job's `traceparent`.
 * - Nothing is durable: `close()` (and the process ending) drops jobs still queued or waiting on a
 *   timer. `close()` stops every worker, waits for the handlers in flight and clears the timers.
 */
export function createInProcessJobQueue(options: InProcessJobQueueOptions = {}): JobQueue {
  const logger = (options.logger ?? createLogger({ level: "silent" })).child({ component: "in-process-job-queue" });
  const queues = new Map<string, QueueState>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (delayMs: number, fire: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fire();
    }, delayMs);
    timers.add(timer);
  };

  const stateOf = (queue: string): QueueState => {
    if (closed) throw new Error("the job queue is closed");
    const state = queues.get(queue);
    if (state === undefined) throw new Error(`unknown queue "${queue}": declare it with ensureQueues first`);
    return state;
  };

  const dispatch = (state: QueueState): void => {
    while (state.ready.size() > 0) {
      const worker = nextFreeWorker(state);
      if (worker === undefined) return;
      const job = state.ready.shift();
      if (job === undefined) return;
      worker.inFlight++;
      const task: Promise<void> = work(state, worker, job).finally(() => {
        worker.inFlight--;
        worker.running.delete(task);
        dispatch(state);
      });
      worker.running.add(task);
    }
  };

  /** Runs one delivery; never rejects (a failure is a retry or a dead letter). */
  const work = async (state: QueueState, worker: Worker, job: Job): Promise<void> => {
    const queue = state.spec.name;
    try {
      checkEnvelope(job.event);
      const received: ReceivedJob = { ...copyEnvelope(job.event), queue, attempt: job.attempt };
      await runJobAttempt(queue, job.event, () => worker.handle(received));
    } catch (error) {
      const { maxAttempts, backoff } = state.spec;
      if (error instanceof PoisonMessageError) {
        deadLetter(state, job, error.reason);
      } else if (job.attempt >= maxAttempts) {
        deadLetter(state, job, maxAttemptsReason(error));
      } else {
        const delayMs = retryDelayMs(backoff, job.attempt);
        logger.warn({ err: error, queue, id: job.event.id, attempt: job.attempt, delayMs }, "job failed, retrying");
        later(delayMs, () => {
          state.ready.push({ event: job.event, attempt: job.attempt + 1 });
          dispatch(state);
        });
      }
    }
  };

  const deadLetter = (state: QueueState, job: Job, reason: string): void => {
    const queue = state.spec.name;
    logger.warn({ queue, id: job.event.id, attempts: job.attempt, reason }, "job dead-lettered");
    state.dead.push({ ...partialEnvelope(job.event), queue, attempts: job.attempt, reason, failedAt: new Date() });
    dispatchDead(state);
  };

  const dispatchDead = (state: QueueState): void => {
    for (const consumer of state.deadConsumers) {
      if (consumer.busy || consumer.closed) continue;
      const letter = state.dead.shift();
      if (letter === undefined) return;
      consumer.busy = true;
      consumer.running = deliverDead(state, consumer, letter).finally(() => {
        consumer.busy = false;
        consumer.running = undefined;
        dispatchDead(state);
      });
    }
  };

  /** Hands `letter` to `consumer` until it succeeds or the consumer closes (then puts it back). */
  const deliverDead = async (state: QueueState, consumer: DeadConsumer, letter: DeadLetter): Promise<void> => {
    for (let failures = 1; ; failures++) {
      try {
        await consumer.handle({ ...letter, data: letter.data.slice() });
        return;
      } catch (error) {
        const delayMs = retryDelayMs(DEAD_LETTER_RETRY, failures);
        logger.error({ err: error, queue: letter.queue, id: letter.id, delayMs }, "dead-letter handler failed");
        if (!consumer.closed) {
          await new Promise<void>((resolve) => {
            consumer.wake = resolve;
            later(delayMs, resolve);
          });
          consumer.wake = undefined;
        }
        if (consumer.closed) {
          state.dead.unshift(letter);
          return;
        }
      }
    }
  };

  return {
    async ensureQueues(specs: readonly QueueSpec[]) {
      if (closed) throw new Error("the job queue is closed");
      for (const spec of specs.map(resolveQueueSpec)) {
        const state = queues.get(spec.name);
        if (state === undefined) queues.set(spec.name, newQueueState(spec));
        else state.spec = spec;
      }
    },

    async enqueue(queue: string, jobs: readonly EventEnvelope[], enqueueOptions = {}) {
      const state = stateOf(queue);
      const delayMs = checkDelayMs(enqueueOptions.delayMs);
      const copies = jobs.map((event): Job => ({ event: copyEnvelope(event), attempt: 1 }));
      const release = (): void => {
        for (const job of copies) state.ready.push(job);
        dispatch(state);
      };
      if (delayMs > 0) later(delayMs, release);
      else release();
    },

    async consume(consumeOptions: ConsumeOptions): Promise<Subscription> {
      const state = stateOf(consumeOptions.queue);
      const worker: Worker = {
        handle: consumeOptions.handle,
        concurrency: checkConcurrency(consumeOptions.concurrency),
        inFlight: 0,
        running: new Set(),
        closed: false,
      };
      state.workers.push(worker);
      dispatch(state);
      return { close: () => closeWorker(state, worker) };
    },

    async consumeDeadLetters(queue: string, handle: (dead: DeadLetter) => Promise<void>): Promise<Subscription> {
      const state = stateOf(queue);
      const consumer: DeadConsumer = { handle, busy: false, closed: false, running: undefined, wake: undefined };
      state.deadConsumers.push(consumer);
      dispatchDead(state);
      return { close: () => closeDeadConsumer(state, consumer) };
    },

    async close() {
      if (closed) return;
      closed = true;
      const closing: Promise<void>[] = [];
      for (const state of queues.values()) {
        for (const worker of [...state.workers]) closing.push(closeWorker(state, worker));
        for (const consumer of [...state.deadConsumers]) closing.push(closeDeadConsumer(state, consumer));
      }
      await Promise.all(closing);
      if (timers.size > 0) logger.info({ timers: timers.size }, "dropping delayed and retrying jobs on close");
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

interface Job {
  readonly event: EventEnvelope;
  /** Attempt number of the next delivery, 1 on the first. */
  readonly attempt: number;
}

interface Worker {
  readonly handle: (job: ReceivedJob) => Promise<void>;
  readonly concurrency: number;
  inFlight: number;
  readonly running: Set<Promise<void>>;
  closed: boolean;
}

interface DeadConsumer {
  readonly handle: (dead: DeadLetter) => Promise<void>;
  busy: boolean;
  closed: boolean;
  running: Promise<void> | undefined;
  /** Ends the backoff wait of a failing handler early (on close). */
  wake: (() => void) | undefined;
}

interface QueueState {
  spec: ResolvedQueueSpec;
  readonly ready: Fifo<Job>;
  readonly workers: Worker[];
  /** Where the round-robin over workers resumes. */
  cursor: number;
  readonly dead: Fifo<DeadLetter>;
  readonly deadConsumers: DeadConsumer[];
}

function newQueueState(spec: ResolvedQueueSpec): QueueState {
  return { spec, ready: fifo(), workers: [], cursor: 0, dead: fifo(), deadConsumers: [] };
}

function nextFreeWorker(state: QueueState): Worker | undefined {
  const count = state.workers.length;
  for (let i = 0; i < count; i++) {
    const index = (state.cursor + i) % count;
    const worker = state.workers[index];
    if (worker !== undefined && !worker.closed && worker.inFlight < worker.concurrency) {
      state.cursor = (index + 1) % count;
      return worker;
    }
  }
  return undefined;
}

async function closeWorker(state: QueueState, worker: Worker): Promise<void> {
  worker.closed = true;
  const index = state.workers.indexOf(worker);
  if (index >= 0) state.workers.splice(index, 1);
  await Promise.all([...worker.running]);
}

async function closeDeadConsumer(state: QueueState, consumer: DeadConsumer): Promise<void> {
  consumer.closed = true;
  consumer.wake?.();
  const index = state.deadConsumers.indexOf(consumer);
  if (index >= 0) state.deadConsumers.splice(index, 1);
  await consumer.running;
}

/** The attributes a (possibly malformed) event has: `""` for a missing string, the epoch for a missing time. */
function partialEnvelope(event: EventEnvelope): EventEnvelope {
  const loose = event as Partial<Record<keyof EventEnvelope, unknown>>;
  const text = (value: unknown): string => (typeof value === "string" ? value : "");
  return {
    id: text(loose.id),
    source: text(loose.source),
    type: text(loose.type),
    subject: text(loose.subject),
    time: loose.time instanceof Date ? loose.time : new Date(0),
    datacontenttype: text(loose.datacontenttype),
    dataschema: typeof loose.dataschema === "string" ? loose.dataschema : undefined,
    data: loose.data instanceof Uint8Array ? loose.data.slice() : new Uint8Array(),
    traceparent: typeof loose.traceparent === "string" ? loose.traceparent : undefined,
    tracestate: typeof loose.tracestate === "string" ? loose.tracestate : undefined,
  };
}

/** A FIFO with O(1) push, shift and unshift (an array with a moving head, compacted as it drains). */
interface Fifo<T> {
  push(item: T): void;
  shift(): T | undefined;
  unshift(item: T): void;
  size(): number;
}

function fifo<T>(): Fifo<T> {
  let items: T[] = [];
  let head = 0;
  return {
    push(item) {
      items.push(item);
    },
    shift() {
      if (head >= items.length) return undefined;
      const item = items[head];
      head++;
      if (head >= 1024 && head * 2 >= items.length) {
        items = items.slice(head);
        head = 0;
      }
      return item;
    },
    unshift(item) {
      if (head > 0) {
        head--;
        items[head] = item;
      } else {
        items.unshift(item);
      }
    },
    size() {
      return items.length - head;
    },
  };
}
