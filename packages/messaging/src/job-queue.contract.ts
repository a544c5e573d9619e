import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { currentTraceCarrier, currentTraceId, initTracing, isBackgroundWork, newId } from "@souk/platform";
import { decodeEvent, EVENTS, newEvent } from "./catalog.ts";
import type { EventEnvelope } from "./envelope.ts";
import type { DeadLetter, JobQueue, QueueSpec, ReceivedJob } from "./job-queue.ts";
import { pause } from "./testing.ts";

/** A worker outside the adapter that takes one job and dies holding it, unacknowledged. */
export interface DyingWorker {
  /** Resolves with the CloudEvents id of the job it took. */
  readonly taken: Promise<string>;
  /** Dies (its channel and connection closed abruptly), without acknowledging the job. */
  die(): Promise<void>;
}

/** What the contract suite needs from one adapter. */
export interface JobQueueHarness {
  /** Shown in the suite's title, e.g. `in-process` or `rabbitmq`. */
  readonly name: string;
  /** Opens an adapter. Every adapter a harness opens shares the same queues (the same broker). */
  open(): Promise<JobQueue>;
  /** Jobs survive closing every adapter and opening a new one (a broker): runs the durability test. */
  readonly durable: boolean;
  /**
   * Puts a message without any CloudEvents attribute on `queue`, bypassing the adapter's encoder
   * (RabbitMQ: a raw amqplib publish; in-process: a bare object through `enqueue`).
   */
  injectMalformed(jobQueue: JobQueue, queue: string): Promise<void>;
  /** Starts a worker that will die holding a job (RabbitMQ); undefined when a worker cannot die alone. */
  readonly dyingWorker?: ((queue: string) => Promise<DyingWorker>) | undefined;
  /** Deletes what the suite declared: the queues of `specs` and their delay queues for `delaysMs`. */
  cleanup(specs: readonly QueueSpec[], delaysMs: readonly number[]): Promise<void>;
}

/** How long a test waits for a delivery before failing. */
const DELIVERY_TIMEOUT_MS = 20_000;
/** How long a test watches for an unwanted extra delivery. */
const QUIET_MS = 400;
/** Timers and broker TTLs measure in whole milliseconds: a delay can look this much shorter. */
const CLOCK_SLACK_MS = 5;

/**
 * The behaviour every `JobQueue` adapter must have, as a vitest suite: delivery with every
 * CloudEvents attribute and the trace context intact, the concurrency limit, retries with growing
 * delays, dead-lettering on exhaustion and at once for poison (and for a message without
 * attributes), delayed jobs, refusal of unknown queues, graceful close, retried dead-letter
 * handlers and — where the adapter has them — redelivery from a dead worker and durability.
 * Each test uses its own queue (unique per run); the harness deletes them afterwards.
 */
export function describeJobQueueContract(harness: JobQueueHarness): void {
  describe(`JobQueue contract: ${harness.name}`, () => {
    const run = newId().replaceAll("-", "").slice(-10);
    const specs: QueueSpec[] = [];
    const delaysMs: number[] = [];
    const opened: JobQueue[] = [];

    const open = async (): Promise<JobQueue> => {
      const jobQueue = await harness.open();
      opened.push(jobQueue);
      return jobQueue;
    };
    /** Declares this test's queue `souk-test.<run>.<suffix>` and returns its name. */
    const declare = async (jobQueue: JobQueue, suffix: string, policy: Omit<QueueSpec, "name"> = {}) => {
      const spec: QueueSpec = { name: `souk-test.${run}.${suffix}`, ...policy };
      specs.push(spec);
      await jobQueue.ensureQueues([spec]);
      return spec.name;
    };

    beforeAll(() => initTracing({ serviceName: "souk-messaging-tests" }));
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((jobQueue) => jobQueue.close()));
    });
    afterAll(async () => {
      await harness.cleanup(specs, delaysMs);
    });

    it("delivers a job once, with its CloudEvents attributes, data and trace context intact, as background work", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "attributes");
      const received = collector<{
        job: ReceivedJob;
        traceId: string | undefined;
        traceparent: string | undefined;
        background: boolean;
      }>();
      await jobQueue.consume({
        queue,
        handle: async (job) => {
          received.add({
            job,
            traceId: currentTraceId(),
            traceparent: currentTraceCarrier().traceparent,
            background: isBackgroundWork(),
          });
        },
      });
      const traceId = randomBytes(16).toString("hex");
      const parentSpanId = randomBytes(8).toString("hex");
      const event = {
        ...orderConfirmed("order-attributes"),
        traceparent: `00-${traceId}-${parentSpanId}-01`,
        tracestate: "souk=contract",
      };
      const bytes = Array.from(event.data);
      await jobQueue.enqueue(queue, [event]);
      event.data.fill(0); // the producer reuses its buffer: the queued job must not change

      const {
        job,
        traceId: handlerTraceId,
        traceparent: handlerTraceparent,
        background,
      } = (await received.until(1))[0]!;
      expect(job).toMatchObject({
        queue,
        attempt: 1,
        id: event.id,
        source: "/souk/contract-tests",
        type: "souk.order.confirmed.v1",
        subject: "order-attributes",
        datacontenttype: "application/protobuf",
        dataschema: "proto:souk.events.v1.OrderConfirmed",
        traceparent: event.traceparent,
        tracestate: "souk=contract",
      });
      expect(job.time.toISOString()).toBe(event.time.toISOString());
      expect(Array.from(job.data)).toEqual(bytes);
      expect(decodeEvent(job).payload).toMatchObject({ orderId: "order-attributes", userId: "user-1" });
      // The handler ran in a span of the job's trace, a child of the producer's span.
      expect(handlerTraceId).toBe(traceId);
      expect(handlerTraceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(handlerTraceparent).not.toContain(parentSpanId);
      // Marked, so that on the embedded database its statements give way to requests'.
      expect(background).toBe(true);
      await pause(QUIET_MS);
      expect(received.items).toHaveLength(1);
    });

    it("handles every job exactly once, never more than `concurrency` at a time", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "concurrency");
      let active = 0;
      let peak = 0;
      const handled = collector<string>();
      await jobQueue.consume({
        queue,
        concurrency: 3,
        handle: async (job) => {
          active++;
          peak = Math.max(peak, active);
          await pause(25);
          active--;
          handled.add(job.id);
        },
      });
      const events = Array.from({ length: 24 }, (_, i) => orderConfirmed(`order-c${i}`));
      await jobQueue.enqueue(queue, events);
      await handled.until(events.length);
      await pause(QUIET_MS);
      expect([...handled.items].sort()).toEqual(events.map((event) => event.id).sort());
      expect(peak).toBe(3);
    });

    it("spreads jobs over several workers, each within its own concurrency", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "workers");
      const byWorker = new Map<string, number>();
      const active = new Map<string, number>();
      let overLimit = false;
      const handled = collector<string>();
      for (const worker of ["a", "b"]) {
        await jobQueue.consume({
          queue,
          concurrency: 2,
          handle: async (job) => {
            active.set(worker, (active.get(worker) ?? 0) + 1);
            if ((active.get(worker) ?? 0) > 2) overLimit = true;
            await pause(20);
            active.set(worker, (active.get(worker) ?? 0) - 1);
            byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
            handled.add(job.id);
          },
        });
      }
      const events = Array.from({ length: 20 }, (_, i) => orderConfirmed(`order-w${i}`));
      await jobQueue.enqueue(queue, events);
      await handled.until(events.length);
      await pause(QUIET_MS);
      expect(handled.items).toHaveLength(events.length);
      expect(overLimit).toBe(false);
      expect(byWorker.get("a")).toBeGreaterThan(0);
      expect(byWorker.get("b")).toBeGreaterThan(0);
    });

    it("retries a failing job with growing delays, then succeeds", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "retries", { maxAttempts: 4, backoff: { baseMs: 200, maxMs: 1_000 } });
      const attempts = collector<{ attempt: number; at: number }>();
      const succeeded = collector<string>();
      const dead = collector<DeadLetter>();
      await jobQueue.consumeDeadLetters(queue, async (letter) => dead.add(letter));
      await jobQueue.consume({
        queue,
        handle: async (job) => {
          attempts.add({ attempt: job.attempt, at: Date.now() });
          if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
          succeeded.add(job.id);
        },
      });
      const event = orderConfirmed("order-retries");
      await jobQueue.enqueue(queue, [event]);

      await succeeded.until(1);
      const [first, second, third] = attempts.items;
      expect(attempts.items.map((a) => a.attempt)).toEqual([1, 2, 3]);
      // Delays of the policy: 200 ms after attempt 1, 400 ms after attempt 2 (at least; not exact).
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(200 - CLOCK_SLACK_MS);
      expect(third!.at - second!.at).toBeGreaterThanOrEqual(400 - CLOCK_SLACK_MS);
      await pause(QUIET_MS);
      expect(attempts.items).toHaveLength(3);
      expect(dead.items).toEqual([]);
    });

    it("dead-letters a job that exhausts maxAttempts, with the last error", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "exhausted", { maxAttempts: 3, backoff: { baseMs: 100, maxMs: 100 } });
      const calls: number[] = [];
      const dead = collector<DeadLetter>();
      await jobQueue.consumeDeadLetters(queue, async (letter) => dead.add(letter));
      await jobQueue.consume({
        queue,
        handle: async (job) => {
          calls.push(job.attempt);
          throw new Error(`still failing (attempt ${job.attempt})`);
        },
      });
      const event = orderConfirmed("order-exhausted");
      const before = Date.now();
      await jobQueue.enqueue(queue, [event]);

      const [letter] = await dead.until(1);
      expect(letter).toMatchObject({
        queue,
        id: event.id,
        type: event.type,
        source: event.source,
        subject: event.subject,
        attempts: 3,
        reason: "max_attempts: still failing (attempt 3)",
      });
      expect(Array.from(letter!.data)).toEqual(Array.from(event.data));
      expect(letter!.failedAt.getTime()).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS);
      expect(letter!.failedAt.getTime()).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS);
      await pause(QUIET_MS);
      expect(calls).toEqual([1, 2, 3]);
      expect(dead.items).toHaveLength(1);
    });

    it("dead-letters poison at once with its reason, and goes on with the next jobs", async () => {
      const jobQueue = await open();
      // A long backoff: a poison job that were retried instead would show up as a missing dead letter.
      const queue = await declare(jobQueue, "poison", { maxAttempts: 5, backoff: { baseMs: 30_000, maxMs: 30_000 } });
      const calls = new Map<string, number>();
      const handled = collector<string>();
      const dead = collector<DeadLetter>();
      await jobQueue.consumeDeadLetters(queue, async (letter) => dead.add(letter));
      await jobQueue.consume({
        queue,
        concurrency: 1,
        handle: async (job) => {
          calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
          decodeEvent(job); // throws PoisonMessageError for what cannot be handled, ever
          handled.add(job.id);
        },
      });
      const first = orderConfirmed("order-p1");
      const badPayload = { ...orderConfirmed("order-p2"), data: new Uint8Array([0x0f, 0x01]) };
      const unknownType = { ...orderConfirmed("order-p3"), type: "souk.order.teleported.v1" };
      const nextVersion = { ...orderConfirmed("order-p4"), type: "souk.order.confirmed.v2" };
      const last = orderConfirmed("order-p5");
      await jobQueue.enqueue(queue, [first, badPayload, unknownType, nextVersion, last]);

      expect(await handled.until(2)).toEqual([first.id, last.id]);
      const letters = await dead.until(3);
      const reasons = Object.fromEntries(letters.map((letter) => [letter.id, letter.reason]));
      expect(reasons).toEqual({
        [badPayload.id]: "malformed_payload",
        [unknownType.id]: "unknown_type",
        [nextVersion.id]: "unknown_type",
      });
      expect(letters.map((letter) => letter.attempts)).toEqual([1, 1, 1]);
      expect(letters.find((letter) => letter.id === nextVersion.id)?.type).toBe("souk.order.confirmed.v2");
      await pause(QUIET_MS);
      expect([...calls.values()]).toEqual([1, 1, 1, 1, 1]);
    });

    it("dead-letters a message without CloudEvents attributes as missing_attribute; the worker lives on", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "malformed");
      const handled = collector<string>();
      const dead = collector<DeadLetter>();
      await jobQueue.consumeDeadLetters(queue, async (letter) => dead.add(letter));
      await jobQueue.consume({ queue, concurrency: 1, handle: async (job) => handled.add(job.id) });
      await harness.injectMalformed(jobQueue, queue);
      const after = orderConfirmed("order-after-malformed");
      await jobQueue.enqueue(queue, [after]);

      const [letter] = await dead.until(1);
      expect(letter).toMatchObject({ queue, reason: "missing_attribute", attempts: 1, source: "", type: "" });
      expect(await handled.until(1)).toEqual([after.id]);
      await pause(QUIET_MS);
      expect(handled.items).toEqual([after.id]);
    });

    it("does not deliver a delayed job before its delay", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "delayed");
      delaysMs.push(1_500);
      const arrivals = collector<{ id: string; at: number; attempt: number }>();
      await jobQueue.consume({
        queue,
        handle: async (job) => arrivals.add({ id: job.id, at: Date.now(), attempt: job.attempt }),
      });
      const delayed = orderConfirmed("order-delayed");
      const immediate = orderConfirmed("order-immediate");
      const enqueuedAt = Date.now();
      await jobQueue.enqueue(queue, [delayed], { delayMs: 1_500 });
      await jobQueue.enqueue(queue, [immediate]);

      const [firstArrival, secondArrival] = await arrivals.until(2);
      expect(firstArrival!.id).toBe(immediate.id);
      expect(secondArrival).toMatchObject({ id: delayed.id, attempt: 1 });
      expect(secondArrival!.at - enqueuedAt).toBeGreaterThanOrEqual(1_500 - CLOCK_SLACK_MS);
    });

    it("refuses jobs and workers for a queue that was never declared", async () => {
      const jobQueue = await open();
      const missing = `souk-test.${run}.never-declared`;
      const event = orderConfirmed("order-nowhere");
      await expect(jobQueue.enqueue(missing, [event])).rejects.toThrow(/unknown queue/);
      await expect(jobQueue.enqueue(missing, [event], { delayMs: 200 })).rejects.toThrow(/unknown queue/);
      await expect(jobQueue.consume({ queue: missing, handle: async () => {} })).rejects.toThrow(/unknown queue/);
    });

    it("closes a worker only after its handlers in flight finish, and their jobs stay done", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "graceful");
      const started = deferred();
      const release = deferred();
      let finished = false;
      const worker = await jobQueue.consume({
        queue,
        handle: async () => {
          started.resolve();
          await release.promise;
          finished = true;
        },
      });
      await jobQueue.enqueue(queue, [orderConfirmed("order-graceful")]);
      await started.promise;

      let closed = false;
      const closing = worker.close().then(() => {
        closed = true;
      });
      await pause(200);
      expect(closed).toBe(false);
      release.resolve();
      await closing;
      expect(finished).toBe(true);

      const again = collector<string>();
      await jobQueue.consume({ queue, handle: async (job) => again.add(job.id) });
      await pause(QUIET_MS);
      expect(again.items).toEqual([]);
    });

    it("retries a failing dead-letter handler until it succeeds", async () => {
      const jobQueue = await open();
      const queue = await declare(jobQueue, "dead-letter-retry", { maxAttempts: 1 });
      let calls = 0;
      const handled = collector<DeadLetter>();
      await jobQueue.consumeDeadLetters(queue, async (letter) => {
        calls++;
        if (calls === 1) throw new Error("alerting is down");
        handled.add(letter);
      });
      await jobQueue.consume({
        queue,
        handle: async () => {
          throw new Error("cannot do it");
        },
      });
      const event = orderConfirmed("order-dlq-retry");
      await jobQueue.enqueue(queue, [event]);

      const [letter] = await handled.until(1);
      expect(letter).toMatchObject({ id: event.id, attempts: 1, reason: "max_attempts: cannot do it" });
      await pause(QUIET_MS);
      expect(calls).toBe(2);
    });

    it.skipIf(harness.dyingWorker === undefined)(
      `redelivers a job held by a worker that dies without acknowledging it${harness.dyingWorker === undefined ? " (skipped: in this adapter a worker cannot die apart from its process)" : ""}`,
      async () => {
        const jobQueue = await open();
        const queue = await declare(jobQueue, "dying-worker");
        const dying = await harness.dyingWorker!(queue);
        const event = orderConfirmed("order-dying-worker");
        await jobQueue.enqueue(queue, [event]);
        expect(await dying.taken).toBe(event.id);

        const received = collector<ReceivedJob>();
        await jobQueue.consume({ queue, handle: async (job) => received.add(job) });
        await pause(QUIET_MS);
        expect(received.items).toEqual([]); // still held by the first worker
        await dying.die();
        const [job] = await received.until(1);
        expect(job).toMatchObject({ id: event.id, subject: "order-dying-worker", attempt: 2 });
      },
    );

    it.skipIf(!harness.durable)(
      `keeps enqueued jobs across closing and reopening the adapter${harness.durable ? "" : " (skipped: this adapter keeps jobs in memory only)"}`,
      async () => {
        const producer = await open();
        const queue = await declare(producer, "durable");
        delaysMs.push(300);
        const events = Array.from({ length: 5 }, (_, i) => orderConfirmed(`order-d${i}`));
        const delayed = orderConfirmed("order-d-delayed");
        await producer.enqueue(queue, events);
        await producer.enqueue(queue, [delayed], { delayMs: 300 });
        await producer.close();

        const consumer = await open();
        await consumer.ensureQueues(specs.filter((spec) => spec.name === queue));
        const handled = collector<string>();
        await consumer.consume({ queue, handle: async (job) => handled.add(job.id) });
        await handled.until(6);
        expect([...handled.items].sort()).toEqual([...events, delayed].map((event) => event.id).sort());
      },
    );
  });
}

/** A catalogue event (`souk.order.confirmed.v1`) for tests. */
function orderConfirmed(orderId: string): EventEnvelope & { data: Uint8Array } {
  const { event } = newEvent(
    EVENTS.orderConfirmed,
    { orderId, userId: "user-1" },
    { source: "/souk/contract-tests", subject: orderId, time: new Date() },
  );
  return { ...event, data: event.data };
}

/** Items pushed by handlers, with a way to wait until there are enough. */
interface Collector<T> {
  readonly items: readonly T[];
  add(item: T): void;
  /** Resolves with the items once there are `count`, or fails after `DELIVERY_TIMEOUT_MS`. */
  until(count: number): Promise<T[]>;
}

function collector<T>(): Collector<T> {
  const items: T[] = [];
  const waiters = new Set<{ count: number; resolve: (items: T[]) => void }>();
  return {
    items,
    add(item) {
      items.push(item);
      for (const waiter of waiters) {
        if (items.length >= waiter.count) {
          waiters.delete(waiter);
          waiter.resolve([...items]);
        }
      }
    },
    until(count) {
      if (items.length >= count) return Promise.resolve([...items]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${DELIVERY_TIMEOUT_MS} ms: ${items.length} of ${count} deliveries`));
        }, DELIVERY_TIMEOUT_MS);
        const waiter = {
          count,
          resolve: (all: T[]) => {
            clearTimeout(timer);
            resolve(all);
          },
        };
        waiters.add(waiter);
      });
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
