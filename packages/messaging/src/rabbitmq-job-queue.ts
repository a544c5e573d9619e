import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from "amqplib";
import type { Logger } from "@souk/platform";
import {
  envelopeFromAmqp,
  envelopeToAmqp,
  headerInteger,
  headerString,
  JOB_HEADERS,
  partialEnvelopeFromAmqp,
} from "./cloudevents-amqp.ts";
import { PoisonMessageError, type BackoffPolicy, type EventEnvelope, type Subscription } from "./envelope.ts";
import type { ConsumeOptions, DeadLetter, JobQueue, QueueSpec, ReceivedJob } from "./job-queue.ts";
import {
  checkConcurrency,
  checkDelayMs,
  maxAttemptsReason,
  resolveQueueSpec,
  retryDelayMs,
  retryDelaysMs,
  runJobAttempt,
  type ResolvedQueueSpec,
} from "./job-retry-policy.ts";

/** Options of `createRabbitMqJobQueue`. */
export interface RabbitMqJobQueueOptions {
  /** AMQP 0-9-1 URL with credentials and vhost, e.g. `amqp://souk:souk@127.0.0.1:55672/souk`. */
  readonly url: string;
  readonly logger: Logger;
  /** The connection's name in RabbitMQ (management UI, `rabbitmqctl list_connections`); default `souk-job-queue`. */
  readonly connectionName?: string;
  /** Backoff between reconnection attempts (equal jitter); default 100 ms → 5 s. */
  readonly reconnect?: BackoffPolicy;
  /** How long `ensureQueues`, `consume` and `consumeDeadLetters` wait for a connection; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long `enqueue` waits for the broker's publisher confirms before it fails; default 15 000 ms. */
  readonly confirmTimeoutMs?: number;
  /** AMQP heartbeat in seconds (a silently dead peer is noticed after about two); default 10. */
  readonly heartbeatSeconds?: number;
}

/**
 * Names of the queues behind one Souk job queue `<name>` on RabbitMQ (all on the default
 * exchange, routed by queue name):
 *
 * - `<name>` — the work queue: a quorum queue; its broker-side dead-letter target is `<name>.dlq`,
 *   used only when a message is delivered more than `DELIVERY_LIMIT` times without an ack.
 * - `<name>.retry.<ms>` — one per step of the backoff: a quorum queue with `x-message-ttl` = ms and
 *   `x-dead-letter-routing-key` = `<name>`; nothing consumes it, so each message waits exactly its
 *   TTL there and goes back to `<name>`. One TTL per queue means no head-of-line blocking.
 * - `<name>.delay.<ms>` — the same for `enqueue(…, { delayMs })`, declared on first use with the
 *   delay rounded up to two significant digits (at most ~10 % later, so few queues) and an
 *   `x-expires` lease so unused ones disappear.
 * - `<name>.dlq` — dead letters: a quorum queue; messages keep their CloudEvents headers and gain
 *   `souk-dlq-reason`, `souk-attempts` and `souk-failed-at`.
 */
export const rabbitMqQueueNames = {
  deadLetters: (queue: string): string => `${queue}.dlq`,
  retry: (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`,
  delay: (queue: string, delayMs: number): string => `${queue}.delay.${roundDelayMs(delayMs)}`,
} as const;

/** Every queue `ensureQueues([spec])` declares (work, retry steps, dead letters) — not the delay queues. */
export function rabbitMqTopology(spec: QueueSpec): string[] {
  const resolved = resolveQueueSpec(spec);
  return [
    resolved.name,
    ...retryDelaysMs(resolved).map((ms) => rabbitMqQueueNames.retry(resolved.name, ms)),
    rabbitMqQueueNames.deadLetters(resolved.name),
  ];
}

/**
 * A delay rounded up to two significant digits (37 412 ms → 38 000 ms; 150 ms stays): the delay
 * queue a delayed job goes through. Never shorter than asked, at most ~10 % longer.
 */
export function roundDelayMs(delayMs: number): number {
  const ms = Math.ceil(delayMs);
  if (ms < 100) return ms;
  const step = 10 ** (Math.floor(Math.log10(ms)) - 1);
  return Math.ceil(ms / step) * step;
}

/**
 * Redeliveries without an ack (a worker dying mid-job) after which RabbitMQ itself dead-letters a
 * message to `<name>.dlq` — a backstop for a job that kills every worker it reaches. Fixed, not
 * derived from `maxAttempts`, because a quorum queue's arguments cannot change once declared.
 */
export const DELIVERY_LIMIT = 20;

/** A delay queue is deleted after being unused this long (past its TTL), and re-declared well before. */
const DELAY_QUEUE_LEASE_MS = 60 * 60_000;
const DELAY_QUEUE_REDECLARE_MS = 30 * 60_000;

/** Backoff of a consumer whose channel failed while the connection stayed up, and of a failing dead-letter handler. */
const CONSUMER_RESTART: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };
const DEAD_LETTER_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 30_000 };

/** Headers the broker adds on dead-lettering and redelivery: not carried over when Souk republishes. */
const BROKER_HEADERS = ["x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"];
const BROKER_HEADER_PREFIXES = ["x-last-death-", "x-delivery-count"];

const quorum = { "x-queue-type": "quorum" };

/** Quorum-queue dead-lettering that waits for the target's confirm (RabbitMQ ≥ 3.10; needs `reject-publish`). */
const atLeastOnceDeadLettering = { "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish" };

function workQueueArguments(queue: string): Record<string, unknown> {
  return {
    ...quorum,
    ...atLeastOnceDeadLettering,
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": rabbitMqQueueNames.deadLetters(queue),
    "x-delivery-limit": DELIVERY_LIMIT,
  };
}

function waitQueueArguments(queue: string, ttlMs: number): Record<string, unknown> {
  return {
    ...quorum,
    ...atLeastOnceDeadLettering,
    "x-message-ttl": ttlMs,
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": queue,
  };
}

async function declareTopology(channel: Channel, spec: ResolvedQueueSpec): Promise<void> {
  await channel.assertQueue(spec.name, { durable: true, arguments: workQueueArguments(spec.name) });
  for (const ms of retryDelaysMs(spec)) {
    await channel.assertQueue(rabbitMqQueueNames.retry(spec.name, ms), {
      durable: true,
      arguments: waitQueueArguments(spec.name, ms),
    });
  }
  await channel.assertQueue(rabbitMqQueueNames.deadLetters(spec.name), { durable: true, arguments: quorum });
}

/** One open connection with its publishing channel; replaced by a new one after a reconnect. */
interface Live {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  /** Messages the broker returned as unroutable, by `routingKey \n messageId`, until their confirm arrives. */
  readonly returned: Map<string, number>;
  /** Delay queues declared on this connection, with when. */
  readonly delayQueues: Map<string, number>;
  /** Queues checked to exist on this connection (targets of delayed jobs declared elsewhere). */
  readonly knownQueues: Set<string>;
}

/** A consumer that survives reconnects: `start` (re)opens its channel on a connection. */
interface Consumer {
  start(live: Live): Promise<void>;
  /** The connection is gone: forget the channel (its deliveries will come again, unacknowledged). */
  detach(): void;
  stop(): Promise<void>;
}

/**
 * The job queue on RabbitMQ (amqplib, AMQP 0-9-1), for the distributed topologies.
 *
 * Topology: see `rabbitMqQueueNames` — quorum queues throughout (RabbitMQ ≥ 3.10 for
 * `x-message-ttl` and at-least-once dead-lettering on quorum queues).
 *
 * Messages: CloudEvents 1.0 in binary mode (see `envelopeToAmqp`), persistent, published with
 * `mandatory` on a confirm channel; `enqueue` resolves when every job is confirmed, and rejects
 * when one is nacked, returned unroutable (no such queue), unconfirmed after `confirmTimeoutMs`, or
 * when the connection is down at the time — at start-up it waits for the first connection (up to
 * `connectTimeoutMs`), but after a loss it fails at once: the caller (an outbox relay) retries
 * later rather than piling up behind a broker outage.
 *
 * Consumers: one channel each, prefetch = concurrency; the handler runs in a CONSUMER span
 * `<queue> process`, child of the job's `traceparent`. The attempt number is `souk-attempt`
 * (1 when absent) plus the quorum queue's `x-delivery-count` (deliveries that ended without an
 * ack, e.g. a worker that died). On success the job is acked. On failure it is republished —
 * with a confirm — to `<name>.retry.<ms>` with `souk-attempt` + 1, or to `<name>.dlq` when it is
 * poison (`PoisonMessageError` from the handler, or a message without the required CloudEvents
 * attributes: `missing_attribute`) or out of attempts (`max_attempts: <error>`), and only then
 * acked: a crash in between duplicates the job, never loses it (at least once).
 *
 * Resilience: a lost connection (broker restart, network) is re-opened with backoff, the queues
 * re-declared and every consumer re-started, forever until `close()`. Handlers in flight at the
 * time finish, but their jobs are redelivered (their acks went to a dead channel). `close()`
 * cancels the consumers, waits for handlers in flight, and closes the connection.
 */
export function createRabbitMqJobQueue(options: RabbitMqJobQueueOptions): JobQueue {
  const logger = options.logger.child({ component: "rabbitmq-job-queue" });
  const reconnect = options.reconnect ?? { baseMs: 100, maxMs: 5_000 };
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 15_000;
  const connectionName = options.connectionName ?? "souk-job-queue";
  const where = describeUrl(options.url);
  const connectUrl = withHeartbeat(options.url, options.heartbeatSeconds ?? 10);

  const specs = new Map<string, ResolvedQueueSpec>();
  const consumers = new Set<Consumer>();
  const connectedWaiters = new Set<{ resolve: (live: Live) => void; reject: (error: Error) => void }>();
  const stopping = new AbortController();
  let current: Live | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  /** Whether a connection was ever set up: before, `enqueue` waits for one; after, it fails fast. */
  let everConnected = false;

  // ── connection ──────────────────────────────────────────────────────────────────────────────

  const startConnecting = (): void => {
    if (closed || connecting !== undefined) return;
    connecting = connectLoop()
      .catch((error: unknown) => logger.error({ err: error }, "connection loop failed"))
      .finally(() => {
        connecting = undefined;
      });
  };

  const connectLoop = async (): Promise<void> => {
    for (let failures = 0; !closed;) {
      let model: ChannelModel | undefined;
      try {
        model = await amqp.connect(connectUrl, {
          clientProperties: { connection_name: connectionName },
          timeout: 5_000,
        });
        const lost = watchConnection(model);
        const publisher = await model.createConfirmChannel();
        const live: Live = { model, publisher, returned: new Map(), delayQueues: new Map(), knownQueues: new Set() };
        publisher.on("error", (error: Error) => logger.warn({ err: error }, "publishing channel error"));
        publisher.on("return", (message: Message) => {
          const key = returnKey(message.fields.routingKey, message.properties.messageId);
          live.returned.set(key, (live.returned.get(key) ?? 0) + 1);
        });
        // Without its publishing channel the connection is useless: start over on a new one.
        publisher.on("close", () => {
          if (current === live && !closed) void model?.close().catch(() => {});
        });
        await withChannel(model, async (channel) => {
          for (const spec of specs.values()) await declareTopology(channel, spec);
        });
        if (closed || lost.closed) throw new Error("connection closed while setting up");
        current = live;
        everConnected = true;
        failures = 0;
        logger.info({ broker: where }, "connected");
        for (const waiter of connectedWaiters) waiter.resolve(live);
        for (const consumer of consumers) {
          consumer.start(live).catch((error: unknown) => logger.warn({ err: error }, "consumer did not restart"));
        }
        return;
      } catch (error) {
        await model?.close().catch(() => {});
        if (closed) return;
        failures++;
        const full = retryDelayMs(reconnect, failures);
        const delayMs = Math.round(full / 2 + (Math.random() * full) / 2);
        logger.warn({ err: error, broker: where, failures, delayMs }, "cannot connect to RabbitMQ, retrying");
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => {});
      }
    }
  };

  /** Reacts to the end of `model`; returns a flag that tells setup code it closed under it. */
  const watchConnection = (model: ChannelModel): { closed: boolean } => {
    const state = { closed: false };
    model.on("error", (error: Error) => logger.warn({ err: error, broker: where }, "connection error"));
    model.on("blocked", (reason: string) => logger.warn({ reason }, "RabbitMQ blocked publishing (resource alarm)"));
    model.on("unblocked", () => logger.info("RabbitMQ unblocked publishing"));
    model.on("close", () => {
      state.closed = true;
      if (current?.model !== model) return;
      current = undefined;
      for (const consumer of consumers) consumer.detach();
      if (closed) return;
      logger.warn({ broker: where }, "connection lost, reconnecting");
      startConnecting();
    });
    return state;
  };

  /** The open connection, waiting up to `connectTimeoutMs` for one. */
  const connection = async (): Promise<Live> => {
    if (closed) throw new Error("the job queue is closed");
    if (current !== undefined) return current;
    startConnecting();
    return new Promise<Live>((resolve, reject) => {
      const timer = setTimeout(() => {
        connectedWaiters.delete(waiter);
        reject(new Error(`RabbitMQ at ${where} is not reachable (waited ${connectTimeoutMs} ms)`));
      }, connectTimeoutMs);
      const waiter = {
        resolve(live: Live) {
          clearTimeout(timer);
          connectedWaiters.delete(waiter);
          resolve(live);
        },
        reject(error: Error) {
          clearTimeout(timer);
          connectedWaiters.delete(waiter);
          reject(error);
        },
      };
      connectedWaiters.add(waiter);
    });
  };

  // ── publishing ──────────────────────────────────────────────────────────────────────────────

  /**
   * Publishes one message and returns whether the channel's buffer has room for more, plus a
   * promise of its confirm (a rejection is already observed, so awaiting it later is safe).
   */
  const publish = (
    live: Live,
    routingKey: string,
    content: Buffer,
    properties: Options.Publish,
  ): { room: boolean; confirmed: Promise<void> } => {
    let room = true;
    const confirmed = new Promise<void>((resolve, reject) => {
      const key = returnKey(routingKey, properties.messageId);
      const timer = setTimeout(
        () => reject(new Error(`RabbitMQ did not confirm a job for ${routingKey} within ${confirmTimeoutMs} ms`)),
        confirmTimeoutMs,
      );
      try {
        room = live.publisher.publish(
          "",
          routingKey,
          content,
          { ...properties, persistent: true, mandatory: true },
          (error: unknown) => {
            clearTimeout(timer);
            const returned = live.returned.get(key) ?? 0;
            if (returned > 0) {
              if (returned === 1) live.returned.delete(key);
              else live.returned.set(key, returned - 1);
              reject(new Error(`unknown queue "${routingKey}": RabbitMQ could not route the job`));
            } else if (error !== null && error !== undefined) {
              reject(error instanceof Error ? error : new Error(`RabbitMQ refused a job for ${routingKey}`));
            } else {
              resolve();
            }
          },
        );
      } catch (error) {
        // amqplib throws IllegalOperationError on a closed channel; anything else (a header table
        // over 64 KiB) is the caller's.
        clearTimeout(timer);
        const closedChannel = error instanceof Error && error.name === "IllegalOperationError";
        reject(
          closedChannel || !(error instanceof Error)
            ? new Error(`RabbitMQ at ${where} is not connected`, { cause: error })
            : error,
        );
      }
    });
    confirmed.catch(() => {});
    return { room, confirmed };
  };

  /** Publishes and waits for the confirm. */
  const publishConfirmed = async (
    live: Live,
    routingKey: string,
    content: Buffer,
    properties: Options.Publish,
  ): Promise<void> => {
    await publish(live, routingKey, content, properties).confirmed;
  };

  /** The delay queue for `delayMs` on `queue`, declared (or its lease renewed) when needed. */
  const delayQueue = async (live: Live, queue: string, delayMs: number): Promise<string> => {
    if (!specs.has(queue) && !live.knownQueues.has(queue)) {
      // A delayed job to a missing queue would be dropped later, silently: refuse it now.
      await withChannel(live.model, (channel) => channel.checkQueue(queue)).catch((error: unknown) => {
        throw new Error(`unknown queue "${queue}": declare it with ensureQueues first`, { cause: error });
      });
      live.knownQueues.add(queue);
    }
    const ttlMs = roundDelayMs(delayMs);
    const name = rabbitMqQueueNames.delay(queue, ttlMs);
    const declaredAt = live.delayQueues.get(name);
    const now = Date.now();
    if (declaredAt === undefined || now - declaredAt > DELAY_QUEUE_REDECLARE_MS) {
      await withChannel(live.model, (channel) =>
        channel.assertQueue(name, {
          durable: true,
          arguments: { ...waitQueueArguments(queue, ttlMs), "x-expires": ttlMs + DELAY_QUEUE_LEASE_MS },
        }),
      );
      live.delayQueues.set(name, now);
    }
    return name;
  };

  // ── consuming ───────────────────────────────────────────────────────────────────────────────

  const createConsumer = (
    queue: string,
    prefetch: number,
    deliver: (live: Live, channel: Channel, message: ConsumeMessage, signal: AbortSignal) => Promise<void>,
  ): Consumer => {
    const stop = new AbortController();
    const inFlight = new Set<Promise<void>>();
    let channel: Channel | undefined;
    let consumerTag: string | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let restarts = 0;

    const scheduleRestart = (): void => {
      if (stop.signal.aborted || restartTimer !== undefined) return;
      restarts++;
      const delayMs = retryDelayMs(CONSUMER_RESTART, restarts);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (current !== undefined && channel === undefined) {
          // A failure schedules the next try (see `start`).
          consumer
            .start(current)
            .catch((error: unknown) => logger.warn({ err: error, queue }, "consumer did not restart"));
        }
      }, delayMs);
    };

    let starting: Promise<void> | undefined;
    let startedOn: Live | undefined;

    const open = async (live: Live): Promise<void> => {
      clearTimeout(restartTimer);
      restartTimer = undefined;
      startedOn = live;
      const opened = await live.model.createChannel();
      channel = opened;
      opened.on("error", (error: Error) => logger.warn({ err: error, queue }, "consumer channel error"));
      opened.on("close", () => {
        if (channel !== opened) return;
        channel = undefined;
        consumerTag = undefined;
        // The channel alone failed — or the connection is going too: then the timer finds no
        // connection, or a new one on which the consumer already runs, and does nothing.
        if (current === live) scheduleRestart();
      });
      await opened.prefetch(prefetch);
      const reply = await opened.consume(
        queue,
        (message) => {
          if (message === null) {
            logger.warn({ queue }, "RabbitMQ cancelled the consumer (queue deleted?)");
            void opened.close().catch(() => {});
            return;
          }
          const task = deliver(live, opened, message, stop.signal)
            .catch((error: unknown) => logger.error({ err: error, queue }, "delivery failed"))
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        },
        { noAck: false },
      );
      consumerTag = reply.consumerTag;
      restarts = 0;
    };

    const consumer: Consumer = {
      start(live) {
        if (stop.signal.aborted) return Promise.resolve();
        if (starting !== undefined) return starting;
        if (channel !== undefined && startedOn === live) return Promise.resolve();
        starting = open(live)
          .catch((error: unknown) => {
            // Whatever failed (a channel error, a queue not yet available after a broker restart): again later.
            scheduleRestart();
            throw error;
          })
          .finally(() => {
            starting = undefined;
          });
        return starting;
      },
      detach() {
        channel = undefined;
        consumerTag = undefined;
      },
      async stop() {
        stop.abort();
        clearTimeout(restartTimer);
        await starting?.catch(() => {});
        const opened = channel;
        if (opened !== undefined && consumerTag !== undefined) await opened.cancel(consumerTag).catch(() => {});
        await Promise.allSettled([...inFlight]);
        channel = undefined;
        await opened?.close().catch(() => {});
      },
    };
    return consumer;
  };

  /** Acknowledges on the channel that delivered; a dead channel means the broker redelivers it. */
  const ack = (channel: Channel, message: ConsumeMessage): void => {
    try {
      channel.ack(message);
    } catch (error) {
      logger.warn({ err: error }, "could not ack (channel closed): the job will be redelivered");
    }
  };

  const requeue = (channel: Channel, message: ConsumeMessage): void => {
    try {
      channel.nack(message, false, true);
    } catch {
      // The channel is gone: the broker requeues it by itself.
    }
  };

  /**
   * Republishes `message` to `routingKey` with `headers` added, then acks it (at least once).
   * Both go through the connection that delivered it: if that one is gone, neither happens and the
   * broker redelivers the original — no duplicate from a copy made on a newer connection.
   */
  const moveTo = async (
    live: Live,
    channel: Channel,
    message: ConsumeMessage,
    routingKey: string,
    headers: Record<string, unknown>,
  ): Promise<void> => {
    try {
      await publishConfirmed(live, routingKey, message.content, republishProperties(message, headers));
    } catch (error) {
      logger.warn({ err: error, to: routingKey }, "could not move the job: requeued");
      requeue(channel, message);
      return;
    }
    ack(channel, message);
  };

  const deliverJob = async (
    queue: string,
    handle: (job: ReceivedJob) => Promise<void>,
    live: Live,
    channel: Channel,
    message: ConsumeMessage,
  ): Promise<void> => {
    const spec = specs.get(queue);
    if (spec === undefined) throw new Error(`queue ${queue} is not declared`);
    const headers = message.properties.headers ?? {};
    const attempt =
      (headerInteger(headers, JOB_HEADERS.attempt) ?? 1) + (headerInteger(headers, "x-delivery-count") ?? 0);
    const deadLetter = (reason: string): Promise<void> => {
      logger.warn({ queue, id: message.properties.messageId as unknown, attempt, reason }, "job dead-lettered");
      return moveTo(live, channel, message, rabbitMqQueueNames.deadLetters(queue), {
        [JOB_HEADERS.deadLetterReason]: reason,
        [JOB_HEADERS.deadLetterAttempts]: attempt,
        [JOB_HEADERS.deadLetterFailedAt]: new Date().toISOString(),
      });
    };
    let event: EventEnvelope;
    try {
      event = envelopeFromAmqp(message);
    } catch (error) {
      return deadLetter(error instanceof PoisonMessageError ? error.reason : "malformed_message");
    }
    if (attempt > spec.maxAttempts) {
      return deadLetter(`max_attempts: delivered ${attempt - 1} times without an acknowledgement`);
    }
    try {
      await runJobAttempt(queue, event, () => handle({ ...event, queue, attempt }));
    } catch (error) {
      if (error instanceof PoisonMessageError) return deadLetter(error.reason);
      if (attempt >= spec.maxAttempts) return deadLetter(maxAttemptsReason(error));
      const delayMs = retryDelayMs(spec.backoff, attempt);
      logger.warn({ err: error, queue, id: event.id, attempt, delayMs }, "job failed, retrying");
      return moveTo(live, channel, message, rabbitMqQueueNames.retry(queue, delayMs), {
        [JOB_HEADERS.attempt]: attempt + 1,
      });
    }
    ack(channel, message);
  };

  const deliverDeadLetter = async (
    queue: string,
    handle: (dead: DeadLetter) => Promise<void>,
    channel: Channel,
    message: ConsumeMessage,
    signal: AbortSignal,
  ): Promise<void> => {
    const letter = deadLetterOf(queue, message);
    for (let failures = 1; !signal.aborted; failures++) {
      try {
        await handle({ ...letter, data: letter.data.slice() });
        ack(channel, message);
        return;
      } catch (error) {
        const delayMs = retryDelayMs(DEAD_LETTER_RETRY, failures);
        logger.error({ err: error, queue, id: letter.id, delayMs }, "dead-letter handler failed");
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      }
    }
    // Stopping: the letter goes back to the queue when the channel closes.
  };

  const startConsumer = async (consumer: Consumer): Promise<Subscription> => {
    const live = await connection();
    consumers.add(consumer);
    try {
      await consumer.start(live);
    } catch (error) {
      consumers.delete(consumer);
      await consumer.stop();
      throw error;
    }
    return {
      async close() {
        consumers.delete(consumer);
        await consumer.stop();
      },
    };
  };

  const declared = (queue: string): ResolvedQueueSpec => {
    if (closed) throw new Error("the job queue is closed");
    const spec = specs.get(queue);
    if (spec === undefined) throw new Error(`unknown queue "${queue}": declare it with ensureQueues first`);
    return spec;
  };

  startConnecting();

  return {
    async ensureQueues(queueSpecs: readonly QueueSpec[]) {
      const resolved = queueSpecs.map(resolveQueueSpec);
      const live = await connection();
      await withChannel(live.model, async (channel) => {
        for (const spec of resolved) await declareTopology(channel, spec);
      });
      for (const spec of resolved) specs.set(spec.name, spec);
    },

    async enqueue(queue: string, jobs: readonly EventEnvelope[], enqueueOptions = {}) {
      const delayMs = checkDelayMs(enqueueOptions.delayMs);
      if (closed) throw new Error("the job queue is closed");
      // Starting up, wait for the first connection; after a loss, fail at once: the caller retries.
      const live = everConnected ? current : await connection();
      if (live === undefined) throw new Error(`RabbitMQ at ${where} is not connected: enqueue later`);
      if (jobs.length === 0) return;
      const target = delayMs > 0 ? await delayQueue(live, queue, delayMs) : queue;
      const confirms: Promise<void>[] = [];
      for (const event of jobs) {
        const { content, properties } = envelopeToAmqp(event);
        const { room, confirmed } = publish(live, target, content, properties);
        confirms.push(confirmed);
        if (!room) await drained(live.publisher);
      }
      await Promise.all(confirms);
    },

    async consume(consumeOptions: ConsumeOptions): Promise<Subscription> {
      const { queue, handle } = consumeOptions;
      declared(queue);
      const concurrency = checkConcurrency(consumeOptions.concurrency);
      return startConsumer(
        createConsumer(queue, concurrency, (live, channel, message) =>
          deliverJob(queue, handle, live, channel, message),
        ),
      );
    },

    async consumeDeadLetters(queue: string, handle: (dead: DeadLetter) => Promise<void>): Promise<Subscription> {
      declared(queue);
      return startConsumer(
        createConsumer(rabbitMqQueueNames.deadLetters(queue), 1, (_live, channel, message, signal) =>
          deliverDeadLetter(queue, handle, channel, message, signal),
        ),
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      stopping.abort();
      for (const waiter of connectedWaiters) waiter.reject(new Error("the job queue is closed"));
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      consumers.clear();
      const live = current;
      current = undefined;
      await live?.model.close().catch(() => {});
      await connecting;
    },
  };
}

/** Runs `work` on a short-lived channel (a declaration that fails closes only that channel). */
async function withChannel<T>(model: ChannelModel, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await model.createChannel();
  // The failed operation rejects with the same error; the event must still have a listener.
  channel.on("error", () => {});
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => {});
  }
}

/** Resolves when the channel can take more messages (or closed: the next publish will say so). */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off("drain", done);
      channel.off("close", done);
      resolve();
    };
    channel.on("drain", done);
    channel.on("close", done);
  });
}

function returnKey(routingKey: string, messageId: unknown): string {
  return `${routingKey}\n${typeof messageId === "string" ? messageId : ""}`;
}

/** AMQP properties a message keeps when moved to a retry or dead-letter queue (not `expiration`, `userId`). */
const KEPT_PROPERTIES = [
  "contentType",
  "contentEncoding",
  "messageId",
  "type",
  "timestamp",
  "correlationId",
  "appId",
  "priority",
] as const;

/**
 * The publish properties of a message moved to a retry or dead-letter queue: its own properties
 * and headers (minus the broker's bookkeeping, its `expiration` and `userId`), plus `headers`.
 */
function republishProperties(message: ConsumeMessage, headers: Record<string, unknown>): Options.Publish {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.properties.headers ?? {})) {
    if (BROKER_HEADERS.includes(name) || BROKER_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    kept[name] = value;
  }
  const properties: Options.Publish = { headers: { ...kept, ...headers } };
  // amqplib types every property as `any`: copy the ones a moved message keeps, as they came.
  const source = message.properties as unknown as Record<string, unknown>;
  const target = properties as Record<string, unknown>;
  for (const key of KEPT_PROPERTIES) {
    const value = source[key];
    if (value !== undefined && value !== null) target[key] = value;
  }
  return properties;
}

/** A message of `<queue>.dlq` as a `DeadLetter` (readable even when its attributes are missing). */
function deadLetterOf(queue: string, message: ConsumeMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const brokerReason = headerString(headers, "x-first-death-reason");
  const failedAt = headerString(headers, JOB_HEADERS.deadLetterFailedAt);
  const failedAtDate = failedAt === undefined ? new Date(Number.NaN) : new Date(failedAt);
  return {
    ...partialEnvelopeFromAmqp(message),
    queue,
    reason: headerString(headers, JOB_HEADERS.deadLetterReason) ?? brokerReason ?? "unknown",
    attempts:
      headerInteger(headers, JOB_HEADERS.deadLetterAttempts) ??
      (headerInteger(headers, JOB_HEADERS.attempt) ?? 1) + (headerInteger(headers, "x-delivery-count") ?? 0),
    failedAt: Number.isNaN(failedAtDate.getTime()) ? new Date() : failedAtDate,
  };
}

/** The URL without credentials, for logs and errors. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unparseable AMQP URL)";
  }
}

/** `url` with `?heartbeat=` set, unless it sets one. */
function withHeartbeat(url: string, seconds: number): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", String(seconds));
    return parsed.toString();
  } catch {
    return url;
  }
}
