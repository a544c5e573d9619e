import {
  Admin,
  Consumer,
  findErrorBy,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  type Message,
  type MessagesStream,
} from "@platformatic/kafka";
import { SpanKind, withSpan, type Logger } from "@souk/platform";
import { PoisonMessageError, type BackoffPolicy, type EventEnvelope, type Subscription } from "./envelope.ts";
import type { EventLog, ReceivedEvent, SubscribeOptions, TopicSpec } from "./event-log.ts";
import { decodeCloudEventRecord, encodeCloudEventHeaders, encodeDeadLetterHeaders } from "./cloudevents-kafka.ts";
import {
  DEAD_LETTER_SUFFIX,
  DEFAULT_EVENT_RETRY,
  DEFAULT_PARTITIONS,
  backoffDelayMs,
  deadLetterTopic,
  deliverWithRetry,
  errorMessage,
  murmur2,
  sleep,
  type DeadLetterInfo,
} from "./event-log-common.ts";

/**
 * A batching subscription's fetch waits for this many bytes of records (or its `maxBatchDelayMs`).
 * More than a window's worth at the store's rates (a checkout's events are a few KB), so in practice
 * a fetch returns once per window; a backlog still comes back in full fetches at once.
 */
const BATCH_FETCH_MIN_BYTES = 64 * 1024;

/** Options of `createKafkaEventLog`. */
export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port` each (e.g. `KAFKA_BROKERS=127.0.0.1:59092` split on commas). */
  readonly brokers: readonly string[];
  /** Kafka `client.id` prefix (the service name): shows in broker logs and group descriptions. */
  readonly clientId: string;
  readonly logger: Logger;
  /**
   * Consumer group session timeout in ms: a member silent that long is evicted and its partitions
   * reassigned. Default 30 000 (the broker accepts 6 000 to 1 800 000 by default).
   */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval in ms; also bounds how fast a member notices a rebalance. Default 3 000. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Retries of `publish` against a broker that does not answer before it throws (the outbox then
   * retries the batch). Default 5 (~6 s: 250 ms doubling up to 2 s); at least 2.
   */
  readonly publishRetries?: number;
  /** Fetched events buffered per subscription (all its partitions) before it stops fetching. Default 1 000. */
  readonly maxBufferedEvents?: number;
  /**
   * How long a handled record's offset may wait before it is committed, in ms: each subscription
   * commits the latest handled offset of every partition once per interval, not once per record.
   * A crash or a rebalance redelivers what was handled in the last interval (the inboxes drop the
   * copies); a clean close commits at once. Default 1 000 (the Java consumer's auto-commit
   * interval is 5 000); 0 commits after every record.
   */
  readonly commitIntervalMs?: number;
  /**
   * This process's identity across restarts (the pm2 app name, `souk-orders-1`; a pod name), or
   * undefined for dynamic membership. When set, each subscription joins its group as a static
   * member with `group.instance.id` = `instanceId` (`instanceId#2`, `#3`… for a second, third
   * subscription of the same group held at once): a restarted process takes its partitions
   * back as soon as it rejoins, instead of waiting for the dead member's session to time out
   * (Kafka KIP-345, "static membership"). Two live processes must never share one: the broker
   * fences the older (FENCED_INSTANCE_ID).
   */
  readonly instanceId?: string;
}

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * Kafka's default partitioner for keyed records (`toPositive(murmur2(key)) % partitions`; the
 * library divides by the partition count): the same partition for a subject as a Java, librdkafka
 * (`murmur2_random`) or in-process producer. The library's own default hashes differently
 * (`murmur2 >>> 0`), which would split a subject across partitions when producers are mixed.
 */
function javaCompatiblePartitioner(_message: unknown, key: Buffer | undefined): number {
  return key === undefined ? 0 : murmur2(key) & 0x7fffffff;
}

/**
 * One line for a library error: its message and the distinct innermost causes. The library nests
 * AggregateErrors (retries × brokers × attempts) whose full serialisation runs to kilobytes.
 */
export function summarizeKafkaError(error: unknown): string {
  const leaves = new Set<string>();
  const visit = (e: unknown, depth: number) => {
    if (depth > 8) return;
    if (e instanceof AggregateError && e.errors.length > 0) {
      for (const inner of e.errors) visit(inner, depth + 1);
    } else if (e instanceof Error && e.cause !== undefined) {
      visit(e.cause, depth + 1);
    } else {
      leaves.add(e instanceof Error ? e.message : String(e));
    }
  };
  visit(error, 0);
  const outer = error instanceof Error ? error.message : String(error);
  const causes = [...leaves].filter((m) => m !== outer).slice(0, 3);
  return causes.length === 0 ? outer : `${outer} ← ${causes.join("; ")}`;
}

function retryDelay(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(2_000, 250 * 2 ** Math.max(0, attempt - 1));
}

/**
 * The event log on Apache Kafka (@platformatic/kafka), CloudEvents 1.0 in binary mode.
 *
 * Publishing: one idempotent producer per log (acks = all in-sync replicas, one request in
 * flight, sequence numbers, so the library's own retries neither duplicate nor reorder), key =
 * subject, partition = Kafka's murmur2 of the key, headers `ce_*` + `content-type` + the
 * envelope's own `traceparent`/`tracestate` (see CE_KAFKA_HEADERS), value = the payload bytes.
 * `publish` throws once its retries are spent; the partitions already written keep their events,
 * so the caller's retry may append some of them again, after the first copies (per subject the
 * first occurrences stay in order; consumers' inboxes drop the copies).
 *
 * Consuming: each `subscribe` is one group member (its own Consumer, classic protocol,
 * round-robin assignment). Fetched records are dispatched to one lane per partition; a lane
 * decodes and handles its records one at a time, in offset order, each inside a CONSUMER span
 * continuing the event's trace, and commits `offset + 1` only after the handler resolved
 * (at-least-once). Commits are coalesced: the latest handled offset of each partition is
 * committed once per `commitIntervalMs`, and the library merges those of a subscription's
 * partitions that meet one in flight. (An OffsetCommit request is a write to the broker's
 * `__consumer_offsets` log. At 150 events a second into three groups, one commit per record
 * cost 700–735 µs of the process's CPU and 618–628 µs of the broker's per handled event, against
 * 506–627 and 364–431 µs with a 1 s interval.) A transient error
 * retries the same record with backoff while that lane waits — the other partitions keep
 * flowing until `maxBufferedEvents` records are buffered, then fetching pauses for all (the
 * library has no per-partition pause). A PoisonMessageError, or a record that is not a
 * CloudEvent (missing `ce_*` headers: `missing_attribute`), is produced to `<topic>.dlq` with
 * its original key, value and headers plus `souk_dlq_*` headers (DLQ_KAFKA_HEADERS), then
 * committed: it never blocks its partition nor stops the consumer.
 *
 * Failures: a dead stream (broker down, fetch retries spent, rejoin refused) is replaced after a
 * backoff (0.5 s doubling up to 5 s), forever, until `close()`, by the same consumer, which
 * rejoins as the same member (a broker restart under load: consumers resume within ~2 s of the
 * broker answering again); records handled but not yet committed are redelivered (inboxes
 * dedupe them).
 * On a rebalance, lanes of partitions taken away drop their queued records and do not commit
 * what was in flight or handled but not committed yet (its new owner handles it again).
 */
export function createKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  const logger = options.logger.child({ component: "kafka-event-log" });
  const bootstrapBrokers = [...options.brokers];
  const subscriptions = new Set<KafkaSubscription>();
  /** `group.instance.id`s held by this log's open subscriptions, as `<group> <id>`. */
  const instanceIds = new Set<string>();
  let closed = false;

  /** The first free static member id of this process in `group`, or undefined without `instanceId`. */
  const claimInstanceId = (group: string): string | undefined => {
    if (options.instanceId === undefined) return undefined;
    for (let n = 1; ; n++) {
      const id = n === 1 ? options.instanceId : `${options.instanceId}#${n}`;
      if (instanceIds.has(`${group} ${id}`)) continue;
      instanceIds.add(`${group} ${id}`);
      return id;
    }
  };

  const producer = new Producer({
    clientId: `${options.clientId}-producer`,
    bootstrapBrokers,
    idempotent: true,
    // At least 2: the library turns an idempotent producer's 0 or 1 into "retry forever".
    retries: Math.max(2, options.publishRetries ?? 5),
    retryDelay,
    partitioner: javaCompatiblePartitioner,
    autocreateTopics: false,
  });
  producer.on("error", (error: unknown) => logger.warn({ error: summarizeKafkaError(error) }, "kafka producer error"));

  async function send(topic: string, messages: { key: Buffer; value: Buffer; headers: Map<Buffer, Buffer> }[]) {
    await producer.send({ messages: messages.map((m) => ({ topic, ...m })) });
  }

  const log: EventLog = {
    async ensureTopics(specs: readonly TopicSpec[]) {
      const wanted = new Map<string, number>();
      for (const spec of specs) {
        const partitions = spec.partitions ?? DEFAULT_PARTITIONS;
        wanted.set(spec.name, partitions);
        if (!spec.name.endsWith(DEAD_LETTER_SUFFIX)) wanted.set(deadLetterTopic(spec.name), partitions);
      }
      const admin = new Admin({ clientId: `${options.clientId}-admin`, bootstrapBrokers, retryDelay });
      admin.on("error", (error: unknown) => logger.warn({ error: summarizeKafkaError(error) }, "kafka admin error"));
      try {
        const existing = new Set(await admin.listTopics());
        const missing = [...wanted].filter(([name]) => !existing.has(name));
        if (missing.length === 0) return;
        try {
          await admin.createTopics({
            topics: missing.map(([topic, partitions]) => ({ topic, partitions, replicas: -1 })),
            // The log keeps every event: consumers (analytics) rebuild their state by replaying
            // a topic from the beginning. Delete-based retention, never compaction.
            configs: [{ name: "retention.ms", value: "-1" }],
          });
          logger.info({ topics: missing.map(([name]) => name) }, "kafka topics created");
        } catch (error) {
          // Another process created them meanwhile: fine, they exist.
          if (findErrorBy(error as Error, "apiId", "TOPIC_ALREADY_EXISTS") === null) throw error;
        }
        // Creation is asynchronous: wait until every partition has a leader, so that the first
        // publish or subscribe does not race the controller.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const metadata = await admin.metadata({ topics: missing.map(([name]) => name), forceUpdate: true });
          const ready = missing.every(([name]) => {
            const topic = metadata.topics.get(name);
            return topic !== undefined && topic.partitions.every((p) => p !== undefined && p.leader >= 0);
          });
          if (ready) return;
          if (Date.now() > deadline)
            throw new Error(`kafka topics ${missing.map(([n]) => n).join(", ")} have no leader`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await admin.close();
      }
    },

    async publish(topic: string, events: readonly EventEnvelope[]) {
      if (closed) throw new Error("the event log is closed");
      if (events.length === 0) return;
      await withSpan(`${topic} publish`, SpanKind.PRODUCER, undefined, async (span) => {
        span.setAttributes({
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": topic,
          "messaging.batch.message_count": events.length,
        });
        await send(
          topic,
          events.map((event) => ({
            key: Buffer.from(event.subject, "utf8"),
            value: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength),
            headers: encodeCloudEventHeaders(event),
          })),
        );
      });
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      if (closed) throw new Error("the event log is closed");
      if (subscribeOptions.topics.length === 0) throw new Error("subscribe needs at least one topic");
      const groupInstanceId = claimInstanceId(subscribeOptions.group);
      const subscription = new KafkaSubscription(subscribeOptions, {
        clientId: options.clientId,
        bootstrapBrokers,
        logger,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
        maxBufferedEvents: options.maxBufferedEvents ?? 1_000,
        commitIntervalMs: options.commitIntervalMs ?? 1_000,
        groupInstanceId,
        send,
        onClosed: () => {
          subscriptions.delete(subscription);
          if (groupInstanceId !== undefined) instanceIds.delete(`${subscribeOptions.group} ${groupInstanceId}`);
        },
      });
      subscriptions.add(subscription);
      try {
        await subscription.start();
      } catch (error) {
        await subscription.close();
        throw error;
      }
      return subscription;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await producer.close();
    },
  };
  return log;
}

interface SubscriptionContext {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedEvents: number;
  readonly commitIntervalMs: number;
  /** Static membership id (KIP-345), or undefined for a dynamic member. */
  readonly groupInstanceId: string | undefined;
  readonly send: (
    topic: string,
    messages: { key: Buffer; value: Buffer; headers: Map<Buffer, Buffer> }[],
  ) => Promise<void>;
  readonly onClosed: () => void;
}

/** The records of one assigned partition, handled one at a time in offset order. */
interface Lane {
  readonly key: string;
  readonly queue: KafkaMessage[];
  /** Offset after the last record enqueued: a refetch (after a rebalance or a new stream) skips below it. */
  nextOffset: bigint;
  /** Aborted when the partition is taken away by a rebalance. */
  readonly revoked: AbortController;
  running: Promise<void> | undefined;
  /** The last handled record whose offset is not committed yet (committed by the next flush). */
  uncommitted: KafkaMessage | undefined;
  /** The last commit requested, awaited (bounded) on close. */
  lastCommit: Promise<void> | undefined;
}

const laneKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** One consumer group member: a Consumer, its current stream, and a lane per partition. */
class KafkaSubscription implements Subscription {
  readonly #options: SubscribeOptions;
  readonly #context: SubscriptionContext;
  readonly #logger: Logger;
  readonly #retry: BackoffPolicy;
  readonly #closing = new AbortController();
  readonly #lanes = new Map<string, Lane>();
  #consumer: Consumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #consumerBroken = false;
  #buffered = 0;
  #spaceWaiter: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;
  #generation = 0;
  /** The pending flush of handled offsets (`commitIntervalMs`), if one is scheduled. */
  #commitTimer: NodeJS.Timeout | undefined;

  constructor(options: SubscribeOptions, context: SubscriptionContext) {
    this.#options = options;
    this.#context = context;
    this.#logger = context.logger.child({ group: options.group, topics: options.topics });
    this.#retry = options.retry ?? DEFAULT_EVENT_RETRY;
  }

  /** Joins the group and opens the first stream; rejects when that fails (broker down, unknown topic). */
  async start(): Promise<void> {
    const stream = await this.#openStream();
    this.#loop = this.#run(stream);
  }

  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  #newConsumer(): Consumer {
    const consumer = new Consumer({
      clientId: `${this.#context.clientId}-consumer-${++this.#generation}`,
      bootstrapBrokers: this.#context.bootstrapBrokers,
      groupId: this.#options.group,
      ...(this.#context.groupInstanceId === undefined ? {} : { groupInstanceId: this.#context.groupInstanceId }),
      autocommit: false,
      sessionTimeout: this.#context.sessionTimeoutMs,
      rebalanceTimeout: Math.max(60_000, this.#context.sessionTimeoutMs),
      heartbeatInterval: this.#context.heartbeatIntervalMs,
      // Long polls bound how late a rebalance's new assignment is fetched; 1 s keeps it short.
      maxWaitTime: 1_000,
      // The library buffers this many records per stream; our lanes buffer the rest.
      highWaterMark: 256,
      retryDelay,
    });
    // The library emits 'error' when a rejoin fails for good (no more heartbeats): without a
    // listener that would crash the process. Closing the stream makes #run consume again, which
    // rejoins the group with the same consumer (and so, when the coordinator still knows it, as
    // the same member: no wait for a stale member's session to expire).
    consumer.on("error", (error: unknown) => {
      if (this.#closing.signal.aborted) return;
      this.#logger.warn({ error: summarizeKafkaError(error) }, "kafka consumer left its group; rejoining");
      void this.#stream?.close().catch(() => undefined);
    });
    consumer.on("consumer:group:join", () => {
      if (consumer === this.#consumer) this.#onAssignment(consumer);
    });
    consumer.on("consumer:heartbeat:stalled", (payload) =>
      this.#logger.warn(
        {
          error: payload.lastError === undefined ? undefined : summarizeKafkaError(payload.lastError),
          stalledForMs: payload.stalledFor,
        },
        "kafka consumer heartbeat stalled",
      ),
    );
    return consumer;
  }

  async #openStream(): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
    if (this.#consumer === undefined || this.#consumerBroken) {
      const previous = this.#consumer;
      this.#consumer = undefined;
      this.#consumerBroken = false;
      if (previous !== undefined) await previous.close(true).catch(() => undefined);
      this.#consumer = this.#newConsumer();
    }
    const batchDelayMs = this.#options.maxBatchDelayMs ?? 0;
    const stream = await this.#consumer.consume({
      topics: [...this.#options.topics],
      autocommit: false,
      ...(batchDelayMs > 0 ? { minBytes: BATCH_FETCH_MIN_BYTES, maxWaitTime: batchDelayMs } : {}),
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode:
        this.#options.from === "end" ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
    });
    // Errors surface through iteration; this listener keeps a late one (after the loop left the
    // stream) from becoming an uncaught 'error' event.
    stream.on("error", (error: Error) =>
      this.#logger.debug({ error: summarizeKafkaError(error) }, "kafka stream error"),
    );
    this.#stream = stream;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        stream.off("offsets", onOffsets);
        stream.off("error", onError);
        stream.off("close", onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onOffsets = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () => done();
      stream.once("offsets", onOffsets);
      stream.once("error", onError);
      stream.once("close", onClose);
    });
    return stream;
  }

  /** Drops the lanes of partitions no longer assigned to this member. */
  #onAssignment(consumer: Consumer): void {
    const assigned = new Set<string>();
    for (const { topic, partitions } of consumer.assignments ?? []) {
      for (const partition of partitions) assigned.add(laneKey(topic, partition));
    }
    for (const [key, lane] of this.#lanes) {
      if (assigned.has(key)) continue;
      lane.revoked.abort();
      // Not ours to commit any more: its new owner handles those records again.
      lane.uncommitted = undefined;
      this.#release(lane.queue.length);
      lane.queue.length = 0;
      this.#lanes.delete(key);
    }
    this.#logger.debug({ assigned: [...assigned] }, "kafka partitions assigned");
  }

  #isAssigned(topic: string, partition: number): boolean {
    return this.#consumer?.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false;
  }

  async #run(first: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined = first;
    let failures = 0;
    while (!this.#closing.signal.aborted) {
      try {
        stream ??= await this.#openStream();
        if (failures > 0) this.#logger.info({ afterFailures: failures }, "kafka consumer resumed");
        failures = 0;
        for await (const message of stream as AsyncIterable<KafkaMessage>) {
          if (this.#closing.signal.aborted) break;
          this.#dispatch(message);
          if (this.#buffered >= this.#context.maxBufferedEvents) await this.#waitForSpace();
        }
        stream = undefined;
      } catch (error) {
        stream = undefined;
        if (this.#closing.signal.aborted) break;
        failures++;
        // The same consumer rejoins, as the same member when the coordinator still knows it (a new
        // member would wait for the old one's session to expire). One failing for ~5 minutes
        // may sit in a state the library does not leave: start afresh then.
        if (failures % 60 === 0) this.#consumerBroken = true;
        const delayMs = backoffDelayMs({ baseMs: 500, maxMs: 5_000 }, failures, () => 0.5 + Math.random() / 2);
        this.#logger.warn(
          { error: summarizeKafkaError(error), failures, delayMs },
          "kafka consumer stream failed; reconnecting",
        );
        await sleep(delayMs, this.#closing.signal);
      }
    }
  }

  #dispatch(message: KafkaMessage): void {
    if (!this.#isAssigned(message.topic, message.partition)) return;
    const key = laneKey(message.topic, message.partition);
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = {
        key,
        queue: [],
        nextOffset: -1n,
        revoked: new AbortController(),
        running: undefined,
        uncommitted: undefined,
        lastCommit: undefined,
      };
      this.#lanes.set(key, lane);
    }
    // Already queued or handled: a refetch from the committed offset after a rebalance.
    if (message.offset < lane.nextOffset) return;
    lane.nextOffset = message.offset + 1n;
    lane.queue.push(message);
    this.#buffered++;
    lane.running ??= this.#drain(lane);
  }

  async #drain(lane: Lane): Promise<void> {
    const signal = AbortSignal.any([this.#closing.signal, lane.revoked.signal]);
    let crashes = 0;
    try {
      while (lane.queue.length > 0 && !signal.aborted) {
        const message = lane.queue[0]!;
        try {
          await this.#process(lane, message, signal);
        } catch (error) {
          // #process handles every expected failure, so this is a bug: log it and retry the same
          // record after a backoff, like a transient error — never skip it, never stop the others.
          crashes++;
          this.#logger.error(
            { err: error, partition: lane.key, offset: String(message.offset), crashes },
            "kafka lane failed unexpectedly; retrying the record",
          );
          await sleep(backoffDelayMs(this.#retry, crashes), signal);
          continue;
        }
        crashes = 0;
        if (signal.aborted) break;
        lane.queue.shift();
        this.#release(1);
      }
    } finally {
      lane.running = undefined;
      // Records enqueued while the last one was finishing.
      if (lane.queue.length > 0 && !signal.aborted && this.#lanes.get(lane.key) === lane) {
        lane.running = this.#drain(lane);
      }
    }
  }

  async #process(lane: Lane, message: KafkaMessage, signal: AbortSignal): Promise<void> {
    let event: ReceivedEvent;
    try {
      event = decodeCloudEventRecord(message);
    } catch (error) {
      if (!(error instanceof PoisonMessageError)) throw error;
      if (!(await this.#deadLetter(message, error, signal))) return;
      this.#commit(lane, message);
      return;
    }
    const outcome = await deliverWithRetry(event, this.#options.handle, this.#retry, signal, this.#logger, "kafka");
    if (outcome.kind === "aborted") return;
    if (outcome.kind === "poison" && !(await this.#deadLetter(message, outcome.error, signal))) return;
    // A partition taken away meanwhile is not ours to commit: its new owner handles the record again.
    if (lane.revoked.signal.aborted) return;
    this.#commit(lane, message);
  }

  /** Marks `message` handled: its offset + 1 is committed by the next flush (at once with `commitIntervalMs` 0). */
  #commit(lane: Lane, message: KafkaMessage): void {
    lane.uncommitted = message;
    if (this.#context.commitIntervalMs <= 0) {
      this.#flushCommits();
      return;
    }
    this.#commitTimer ??= setTimeout(() => this.#flushCommits(), this.#context.commitIntervalMs);
  }

  /** Commits each lane's last handled offset (one request per partition set in flight, merged by the library). */
  #flushCommits(): void {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    for (const lane of this.#lanes.values()) {
      const message = lane.uncommitted;
      if (message === undefined) continue;
      lane.uncommitted = undefined;
      const commit = message.commit();
      if (commit === undefined) continue;
      lane.lastCommit = commit.catch((error: unknown) => {
        // A rebalance or a broker restart: the record will be redelivered (at least once).
        this.#logger.debug(
          { error: summarizeKafkaError(error), partition: lane.key, offset: String(message.offset) },
          "kafka commit failed",
        );
      });
    }
  }

  /** Produces the record to `<topic>.dlq`, retrying until it lands or the lane stops. Resolves true when it landed. */
  async #deadLetter(message: KafkaMessage, error: PoisonMessageError, signal: AbortSignal): Promise<boolean> {
    const info: DeadLetterInfo = {
      reason: error.reason,
      group: this.#options.group,
      error: errorMessage(error),
      topic: message.topic,
      partition: message.partition,
      offset: message.offset.toString(),
    };
    if (message.topic.endsWith(DEAD_LETTER_SUFFIX)) {
      this.#logger.error({ deadLetter: info }, "poison record in a dead-letter topic; skipped");
      return true;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#context.send(deadLetterTopic(message.topic), [
          {
            key: message.key ?? Buffer.alloc(0),
            value: message.value ?? Buffer.alloc(0),
            headers: encodeDeadLetterHeaders(message.headerEntries, info),
          },
        ]);
        this.#logger.warn({ deadLetter: info }, "event dead-lettered");
        return true;
      } catch (sendError) {
        this.#logger.warn(
          { error: summarizeKafkaError(sendError), deadLetter: info, attempt },
          "dead-lettering failed; retrying",
        );
        if (!(await sleep(backoffDelayMs(this.#retry, attempt), signal))) return false;
      }
    }
  }

  #release(count: number): void {
    this.#buffered -= count;
    if (this.#buffered < this.#context.maxBufferedEvents && this.#spaceWaiter !== undefined) {
      const wake = this.#spaceWaiter;
      this.#spaceWaiter = undefined;
      wake();
    }
  }

  #waitForSpace(): Promise<void> {
    return new Promise((resolve) => {
      this.#spaceWaiter = resolve;
      if (this.#closing.signal.aborted) resolve();
    });
  }

  async #close(): Promise<void> {
    this.#closing.abort();
    this.#spaceWaiter?.();
    this.#spaceWaiter = undefined;
    // In-flight handlers finish (retries stop), then their commits are flushed before leaving.
    await Promise.all([...this.#lanes.values()].map((lane) => lane.running ?? Promise.resolve()));
    this.#flushCommits();
    const commits = [...this.#lanes.values()].flatMap((lane) =>
      lane.lastCommit === undefined ? [] : [lane.lastCommit],
    );
    await Promise.race([Promise.all(commits), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    try {
      await this.#stream?.close();
    } catch (error) {
      this.#logger.debug({ error: summarizeKafkaError(error) }, "kafka stream close failed");
    }
    // A loop that is rejoining a group (broker down) would wait for its retries: closing the
    // consumer cuts them short.
    const loopEnded = await Promise.race([
      (this.#loop ?? Promise.resolve()).then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
    ]);
    try {
      // Leaving the group (rather than timing out) lets the others take the partitions at once.
      await this.#consumer?.close(true);
    } catch (error) {
      this.#logger.warn({ error: summarizeKafkaError(error) }, "kafka consumer close failed");
    }
    if (!loopEnded) await this.#loop;
    this.#lanes.clear();
    this.#context.onClosed();
  }
}
