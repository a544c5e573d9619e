import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import type { Logger } from "@souk/platform";
import type { Subscription } from "./envelope.ts";
import type { EventLog } from "./event-log.ts";
import type { JobQueue } from "./job-queue.ts";

/**
 * Retries forever with exponential backoff (0.5 s → 2 s), until `signal` aborts. The ceiling is
 * low because a failed attempt is itself slow (the Kafka client's own retries and timeouts): with
 * 10 s, a consumer started during a Kafka restart joined ~40 s after Kafka was back (chaos run).
 */
const forever = retry(handleAll, {
  maxAttempts: Number.POSITIVE_INFINITY,
  backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 2_000 }),
});

/**
 * Runs `task` now and, when it fails, again in the background until it succeeds or `signal`
 * aborts (the failures are logged, the first one as a warning). Resolves with the first result.
 */
function keepTrying<T>(what: string, logger: Logger, signal: AbortSignal, task: () => Promise<T>): Promise<T> {
  let failures = 0;
  return forever.execute(async () => {
    try {
      return await task();
    } catch (error) {
      failures++;
      if (failures === 1) logger.warn({ err: error, what }, "broker not reachable; retrying in the background");
      throw error;
    }
  }, signal);
}

/** A subscription established in the background; `close()` stops trying or closes it. */
function backgroundSubscription(
  what: string,
  logger: Logger,
  connect: (signal: AbortSignal) => Promise<Subscription>,
): Subscription {
  const abort = new AbortController();
  const established = keepTrying(what, logger, abort.signal, () => connect(abort.signal)).then(
    (subscription) => {
      logger.info({ what }, "consuming");
      return subscription;
    },
    () => undefined,
  );
  return {
    async close() {
      abort.abort();
      await (await established)?.close();
    },
  };
}

/**
 * Makes a process independent of its brokers' availability at start-up (distributed topology):
 * `ensureTopics` and `subscribe` resolve at once and, while Kafka does not answer, keep trying in
 * the background with exponential backoff — so a service restarted while Kafka is down still
 * serves its API, its outbox holds what it publishes, and its consumers join when Kafka is back.
 * `publish` is unchanged: it fails while the broker is down, and the outbox relay retries.
 */
export function resilientEventLog(inner: EventLog, logger: Logger): EventLog {
  const closing = new AbortController();
  let topics: Promise<unknown> = Promise.resolve();
  return {
    async ensureTopics(specs) {
      topics = keepTrying("kafka topics", logger, closing.signal, () => inner.ensureTopics(specs)).catch(() => {});
    },
    publish: (topic, events) => inner.publish(topic, events),
    async subscribe(options) {
      return backgroundSubscription(`kafka group ${options.group}`, logger, async () => {
        await topics;
        return inner.subscribe(options);
      });
    },
    async close() {
      closing.abort();
      await inner.close();
    },
  };
}

/**
 * The job-queue twin of `resilientEventLog`: `ensureQueues`, `consume` and `consumeDeadLetters`
 * resolve at once and are retried in the background while RabbitMQ does not answer (consumers
 * wait for their queues to be declared); `enqueue` fails while it is down (the outbox retries).
 */
export function resilientJobQueue(inner: JobQueue, logger: Logger): JobQueue {
  const closing = new AbortController();
  let queues: Promise<unknown> = Promise.resolve();
  return {
    async ensureQueues(specs) {
      queues = keepTrying("rabbitmq queues", logger, closing.signal, () => inner.ensureQueues(specs)).catch(() => {});
    },
    enqueue: (queue, jobs, options) => inner.enqueue(queue, jobs, options),
    async consume(options) {
      return backgroundSubscription(`rabbitmq queue ${options.queue}`, logger, async () => {
        await queues;
        return inner.consume(options);
      });
    },
    async consumeDeadLetters(queue, handle) {
      return backgroundSubscription(`rabbitmq dead letters of ${queue}`, logger, async () => {
        await queues;
        return inner.consumeDeadLetters(queue, handle);
      });
    },
    async close() {
      closing.abort();
      await inner.close();
    },
  };
}
