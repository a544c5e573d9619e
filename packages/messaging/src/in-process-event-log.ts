import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { createLogger, type Logger } from "@souk/platform";
import { copyEnvelope, type BackoffPolicy, type EventEnvelope, type Subscription } from "./envelope.ts";
import type { EventLog, ReceivedEvent, SubscribeOptions, TopicSpec } from "./event-log.ts";
import {
  DEAD_LETTER_SUFFIX,
  DEFAULT_EVENT_RETRY,
  DEFAULT_PARTITIONS,
  deadLetterTopic,
  deliverWithRetry,
  errorMessage,
  partitionForSubject,
  type DeadLetterInfo,
  type DeadLetteredEvent,
} from "./event-log-common.ts";

/** Options of `createInProcessEventLog`. */
export interface InProcessEventLogOptions {
  /** Where handler failures and dead letters are logged; default silent. */
  readonly logger?: Logger;
  /**
   * Retention, in events per partition: events every group has committed are dropped once a
   * partition holds more than this (the newest are kept even when committed, for new groups
   * reading from the beginning). Events a group has not handled yet are never dropped.
   * Default `DEFAULT_RETAINED_EVENTS_PER_PARTITION`.
   */
  readonly retainedEventsPerPartition?: number;
}

/**
 * Default retention of the in-process event log: 100 handled events per partition. A retained
 * event costs ~1 KB of the process's heap (its envelope, ids, Date and payload copy: 60,000
 * handled events kept 56.5 MB of heap and ~180 MB of RSS, against 1.0 MB of heap at 100 per
 * partition), and only a group that joins late reading from the beginning ever reads one — in
 * the embedded store every group joins at start and analytics' replay is off
 * (`ANALYTICS_REBUILD_ENABLED`). The default was 10,000: Souk's three topics of 6 partitions then
 * held up to 270,000 handled events (retention trims at 1.5 × this), 4 per confirmed order, so
 * the store's memory grew with its order history until ~65,000 orders; now at most 2,700 (~3 MB).
 */
export const DEFAULT_RETAINED_EVENTS_PER_PARTITION = 100;

/** The in-process event log, plus a way to read what it dead-lettered. */
export interface InProcessEventLog extends EventLog {
  /**
   * Copies of the events dead-lettered from `topic` (what `<topic>.dlq` holds), each with its
   * reason, group and origin; ordered by DLQ partition, then offset. Empty when there are none.
   */
  deadLetters(topic: string): DeadLetteredEvent[];
}

interface StoredEvent {
  readonly envelope: EventEnvelope;
  readonly deadLetter?: DeadLetterInfo;
}

interface Partition {
  /** Offset of `events[0]`: offsets stay absolute when retention drops the oldest events. */
  base: number;
  readonly events: StoredEvent[];
  /** Length at which retention is next tried (amortises the splice). */
  nextTrimAt: number;
  /** Workers parked at the end of this partition; woken (and cleared) by every append. */
  readonly waiters: Set<() => void>;
}

interface Topic {
  readonly name: string;
  readonly partitions: readonly Partition[];
}

interface Member {
  readonly group: Group;
  readonly options: SubscribeOptions;
  readonly retry: BackoffPolicy;
}

interface Worker {
  readonly member: Member;
  readonly topic: Topic;
  readonly partition: number;
  readonly abort: AbortController;
  /** Settles once the worker has stopped (its in-flight event finished or was abandoned). */
  done: Promise<void>;
}

interface Group {
  readonly name: string;
  /** In join order; partitions are dealt round-robin over them. */
  readonly members: Member[];
  /** Next offset to handle, per `topic:partition` (Kafka's committed offset). */
  readonly committed: Map<string, number>;
  readonly workers: Map<string, Worker>;
  /** The last worker started per partition: a new owner starts only after the previous one stopped. */
  readonly tails: Map<string, Promise<void>>;
}

const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * The event log of the embedded topology: Kafka's model in one process's memory. A topic is N
 * append-only partitions; an event goes to `murmur2(subject) % N` (Kafka's own partitioner, so a
 * subject lands in the same partition number on both adapters). A consumer group deals a topic's
 * partitions round-robin over its members and keeps one committed offset per partition; each
 * partition is handled by one worker, one event at a time, in order, committing after the handler
 * resolves. Transient handler errors are retried with backoff while that partition waits (others
 * go on); a PoisonMessageError appends the event to `<topic>.dlq` with its reason and moves on.
 * Idle workers park until a publish wakes them — no polling. Event payloads are copied on publish
 * and again on delivery, so producers and consumers never share a buffer. Retention keeps memory
 * bounded: see `retainedEventsPerPartition`.
 *
 * Durability is that of the process: the outbox marks an event sent once it is here, so an event
 * not yet handled when the process exits is lost (the embedded topology's trade for running
 * without a broker; use Kafka where that matters).
 */
export function createInProcessEventLog(options: InProcessEventLogOptions = {}): InProcessEventLog {
  const logger = (options.logger ?? createLogger({ level: "silent" })).child({ component: "in-process-event-log" });
  const topics = new Map<string, Topic>();
  const groups = new Map<string, Group>();
  const members = new Set<Member>();
  const retained = Math.max(1, options.retainedEventsPerPartition ?? DEFAULT_RETAINED_EVENTS_PER_PARTITION);
  let closed = false;

  function createTopic(name: string, partitions: number): void {
    if (topics.has(name)) return;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new Error(`topic ${name}: partitions must be a positive integer, got ${partitions}`);
    }
    topics.set(name, {
      name,
      partitions: Array.from({ length: partitions }, () => ({
        base: 0,
        events: [],
        nextTrimAt: retained + Math.ceil(retained / 2),
        waiters: new Set<() => void>(),
      })),
    });
  }

  function requireTopic(name: string): Topic {
    const topic = topics.get(name);
    if (topic === undefined) throw new Error(`unknown topic "${name}": create it with ensureTopics first`);
    return topic;
  }

  /**
   * Drops the oldest events beyond `retained` that every group with a member reading `topic` has
   * committed — Kafka's retention without its data loss. A group without members holds nothing
   * back (like Kafka expiring an empty group's offsets); should it come back it starts at the
   * oldest event retained.
   */
  function trim(topic: Topic, index: number, partition: Partition): void {
    const key = partitionKey(topic.name, index);
    let upTo = partition.base + partition.events.length - retained;
    for (const group of groups.values()) {
      if (!group.members.some((m) => m.options.topics.includes(topic.name))) continue;
      upTo = Math.min(upTo, group.committed.get(key) ?? partition.base);
    }
    const drop = upTo - partition.base;
    if (drop > 0) {
      partition.events.splice(0, drop);
      partition.base = upTo;
    }
    partition.nextTrimAt = partition.events.length + Math.ceil(retained / 2);
  }

  function append(topic: Topic, stored: StoredEvent): void {
    const index = partitionForSubject(stored.envelope.subject, topic.partitions.length);
    const partition = topic.partitions[index]!;
    partition.events.push(stored);
    if (partition.events.length >= partition.nextTrimAt) trim(topic, index, partition);
    if (partition.waiters.size > 0) {
      const waiters = [...partition.waiters];
      partition.waiters.clear();
      for (const wake of waiters) wake();
    }
  }

  function deadLetter(event: ReceivedEvent, group: string, reason: string, error: string): void {
    const dlq = topics.get(deadLetterTopic(event.topic));
    const info: DeadLetterInfo = {
      reason,
      group,
      error,
      topic: event.topic,
      partition: event.partition,
      offset: event.offset,
    };
    if (dlq === undefined) {
      // Only a `.dlq` topic itself has no twin: a poison dead letter is logged and skipped.
      logger.error({ deadLetter: info, eventId: event.id }, "poison event has no dead-letter topic; skipped");
      return;
    }
    append(dlq, { envelope: copyEnvelope(event), deadLetter: info });
    logger.warn({ deadLetter: info, eventId: event.id, type: event.type }, "event dead-lettered");
  }

  function waitForAppend(partition: Partition, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        partition.waiters.delete(wake);
        resolve();
      };
      partition.waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  async function runWorker(worker: Worker): Promise<void> {
    const { member, topic } = worker;
    const { group } = member;
    const signal = worker.abort.signal;
    const key = partitionKey(topic.name, worker.partition);
    const partition = topic.partitions[worker.partition]!;
    if (signal.aborted) return;
    let next =
      group.committed.get(key) ??
      (member.options.from === "end" ? partition.base + partition.events.length : partition.base);
    let sinceYield = 0;
    while (!signal.aborted) {
      // Retention dropped events before a new group's start: begin at the oldest retained one.
      if (next < partition.base) next = partition.base;
      const stored = partition.events[next - partition.base];
      if (stored === undefined) {
        await waitForAppend(partition, signal);
        continue;
      }
      const envelope = stored.envelope;
      const event: ReceivedEvent = {
        ...envelope,
        time: new Date(envelope.time.getTime()),
        data: envelope.data.slice(),
        topic: topic.name,
        partition: worker.partition,
        offset: String(next),
      };
      const outcome = await deliverWithRetry(event, member.options.handle, member.retry, signal, logger, "in-process");
      if (outcome.kind === "aborted") return;
      if (outcome.kind === "poison") {
        deadLetter(event, group.name, outcome.error.reason, errorMessage(outcome.error));
      }
      next++;
      group.committed.set(key, next);
      // Handlers that resolve at once would otherwise run a backlog in one macrotask.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }

  function startWorker(group: Group, member: Member, topic: Topic, partition: number): void {
    const key = partitionKey(topic.name, partition);
    const previous = group.tails.get(key) ?? Promise.resolve();
    const worker: Worker = { member, topic, partition, abort: new AbortController(), done: Promise.resolve() };
    worker.done = previous.then(() =>
      runWorker(worker).catch((error: unknown) => {
        logger.error({ err: error, group: group.name, partition: key }, "event log worker crashed");
      }),
    );
    group.tails.set(key, worker.done);
    group.workers.set(key, worker);
  }

  /** Deals every subscribed topic's partitions round-robin over the members subscribed to it. */
  function rebalance(group: Group): void {
    const desired = new Map<string, { member: Member; topic: Topic; partition: number }>();
    const names = new Set(group.members.flatMap((m) => m.options.topics));
    for (const name of names) {
      const topic = topics.get(name);
      if (topic === undefined) continue;
      const subscribers = group.members.filter((m) => m.options.topics.includes(name));
      topic.partitions.forEach((_, partition) => {
        desired.set(partitionKey(name, partition), {
          member: subscribers[partition % subscribers.length]!,
          topic,
          partition,
        });
      });
    }
    for (const [key, worker] of group.workers) {
      if (desired.get(key)?.member !== worker.member) {
        worker.abort.abort();
        group.workers.delete(key);
      }
    }
    for (const [key, { member, topic, partition }] of desired) {
      if (!group.workers.has(key)) startWorker(group, member, topic, partition);
    }
  }

  async function leave(member: Member): Promise<void> {
    if (!members.delete(member)) return;
    const { group } = member;
    const stopping = [...group.workers.values()].filter((w) => w.member === member).map((w) => w.done);
    group.members.splice(group.members.indexOf(member), 1);
    rebalance(group);
    await Promise.all(stopping);
  }

  return {
    async ensureTopics(specs: readonly TopicSpec[]) {
      for (const spec of specs) {
        const partitions = spec.partitions ?? DEFAULT_PARTITIONS;
        createTopic(spec.name, partitions);
        if (!spec.name.endsWith(DEAD_LETTER_SUFFIX)) createTopic(deadLetterTopic(spec.name), partitions);
      }
    },

    async publish(topicName: string, events: readonly EventEnvelope[]) {
      if (closed) throw new Error("the event log is closed");
      const topic = requireTopic(topicName);
      for (const event of events) append(topic, { envelope: copyEnvelope(event) });
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      if (closed) throw new Error("the event log is closed");
      if (subscribeOptions.topics.length === 0) throw new Error("subscribe needs at least one topic");
      for (const name of subscribeOptions.topics) requireTopic(name);
      let group = groups.get(subscribeOptions.group);
      if (group === undefined) {
        group = {
          name: subscribeOptions.group,
          members: [],
          committed: new Map(),
          workers: new Map(),
          tails: new Map(),
        };
        groups.set(group.name, group);
      }
      const member: Member = { group, options: subscribeOptions, retry: subscribeOptions.retry ?? DEFAULT_EVENT_RETRY };
      members.add(member);
      group.members.push(member);
      rebalance(group);
      return { close: () => leave(member) };
    },

    async close() {
      closed = true;
      await Promise.all([...members].map((member) => leave(member)));
    },

    deadLetters(topicName: string): DeadLetteredEvent[] {
      const dlq = topics.get(deadLetterTopic(topicName));
      if (dlq === undefined) return [];
      return dlq.partitions.flatMap((partition) =>
        partition.events.flatMap((stored) =>
          stored.deadLetter === undefined
            ? []
            : [{ event: copyEnvelope(stored.envelope), deadLetter: stored.deadLetter }],
        ),
      );
    },
  };
}
