import { runAsBackgroundWork, SpanKind, withSpan, type Logger } from "@souk/platform";
import { PoisonMessageError, type BackoffPolicy, type EventEnvelope } from "./envelope.ts";
import type { ReceivedEvent } from "./event-log.ts";

/** Suffix of a topic's dead-letter twin: poison events of `souk.orders.v1` go to `souk.orders.v1.dlq`. */
export const DEAD_LETTER_SUFFIX = ".dlq";

/** The dead-letter topic of `topic` (`<topic>.dlq`). */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** Default retry backoff of event handlers (`SubscribeOptions.retry`): 100 ms doubling up to 5 s. */
export const DEFAULT_EVENT_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };

/** Partitions of a topic created without a count (`TopicSpec.partitions`). */
export const DEFAULT_PARTITIONS = 6;

/** Why and where an event was dead-lettered, as both adapters record it. */
export interface DeadLetterInfo {
  /** `PoisonMessageError.reason`, e.g. `malformed_payload`, `unknown_type`, `missing_attribute`. */
  readonly reason: string;
  /** The consumer group whose handler (or decoder) refused the event. */
  readonly group: string;
  /** The error message (no stack). */
  readonly error: string;
  /** Where the event was read from. */
  readonly topic: string;
  readonly partition: number;
  /** Offset in the source partition (decimal string). */
  readonly offset: string;
}

/** A dead-lettered event: the original envelope (as far as it could be read) and why it was refused. */
export interface DeadLetteredEvent {
  readonly event: EventEnvelope;
  readonly deadLetter: DeadLetterInfo;
}

/**
 * Kafka's default partitioner hash: MurmurHash2 (32-bit, seed 0x9747b28c) of the key's UTF-8
 * bytes, exactly as `org.apache.kafka.common.utils.Utils.murmur2` computes it, so any Kafka
 * client (Java, librdkafka "murmur2_random", Go's sarama with the Java-compatible hasher) places
 * a subject in the same partition Souk does.
 */
export function murmur2(key: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = key.length;
  let h = 0x9747b28c ^ length;
  const fours = length & ~3;
  for (let i = 0; i < fours; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  switch (length & 3) {
    case 3:
      h ^= key[fours + 2]! << 16;
    // falls through
    case 2:
      h ^= key[fours + 1]! << 8;
    // falls through
    case 1:
      h ^= key[fours]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const utf8 = new TextEncoder();

/**
 * The partition of `subject` among `partitions`: `toPositive(murmur2(subject)) % partitions`,
 * Kafka's `BuiltInPartitioner.partitionForKey` for a keyed record.
 */
export function partitionForSubject(subject: string, partitions: number): number {
  return (murmur2(utf8.encode(subject)) & 0x7fffffff) % partitions;
}

/**
 * Delay before retry `attempt` (1 = the first retry): `min(maxMs, baseMs · 2^(attempt-1))`, with
 * full jitter — a uniform draw in [0, that] (AWS Architecture Blog, "Exponential Backoff And
 * Jitter", 2015). `random` returns a number in [0, 1) (default `Math.random`).
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}

/** Sleeps `ms`, or less when `signal` aborts. Resolves true when the full time elapsed. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** How one event's delivery ended. */
export type DeliveryOutcome =
  | { readonly kind: "handled" }
  | { readonly kind: "poison"; readonly error: PoisonMessageError }
  | { readonly kind: "aborted" };

/**
 * Delivers one event to `handle`, inside a CONSUMER span `<topic> process` that continues the
 * event's own trace (its `traceparent`/`tracestate`). A PoisonMessageError ends the delivery as
 * poison; any other error is logged and retried after `retry` backoff, forever, until `signal`
 * aborts (the subscription closes): the caller's partition waits meanwhile, so order is kept.
 */
export async function deliverWithRetry(
  event: ReceivedEvent,
  handle: (event: ReceivedEvent) => Promise<void>,
  retry: BackoffPolicy,
  signal: AbortSignal,
  logger: Logger,
  system: "kafka" | "in-process",
): Promise<DeliveryOutcome> {
  const carrier = { traceparent: event.traceparent, tracestate: event.tracestate };
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { kind: "aborted" };
    try {
      // Background work: on the embedded database, a handler's statements give way to requests'.
      await runAsBackgroundWork(() =>
        withSpan(`${event.topic} process`, SpanKind.CONSUMER, carrier, async (span) => {
          span.setAttributes({
            "messaging.system": system,
            "messaging.operation.type": "process",
            "messaging.destination.name": event.topic,
            "messaging.destination.partition.id": String(event.partition),
            "messaging.kafka.offset": event.offset,
            "messaging.message.id": event.id,
            "cloudevents.event_type": event.type,
            "cloudevents.event_subject": event.subject,
            "messaging.retry.attempt": attempt,
          });
          await handle(event);
        }),
      );
      if (attempt > 1) logger.info({ eventId: event.id, attempts: attempt }, "event handled after retries");
      return { kind: "handled" };
    } catch (error) {
      if (error instanceof PoisonMessageError) return { kind: "poison", error };
      // Log the first failure and then every tenth: a partition stuck on one event stays visible
      // without flooding the log.
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn(
          { err: error, eventId: event.id, type: event.type, topic: event.topic, partition: event.partition, attempt },
          "event handler failed; retrying (the partition waits)",
        );
      }
      if (!(await sleep(backoffDelayMs(retry, attempt), signal))) return { kind: "aborted" };
    }
  }
}

/** The message of an error, for a dead-letter record (never the stack). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
