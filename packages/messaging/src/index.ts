// Broker-neutral: the Kafka and RabbitMQ adapters are the `./kafka` and `./rabbitmq` subpaths,
// so a process that only writes an outbox or uses the in-process adapters loads neither client.
export * from "./envelope.ts";
export * from "./event-log.ts";
export * from "./job-queue.ts";
export * from "./outbox.ts";
export * from "./inbox.ts";
export * from "./catalog.ts";
export * from "./in-process-event-log.ts";
export {
  backoffDelayMs,
  deadLetterTopic,
  partitionForSubject,
  DEAD_LETTER_SUFFIX,
  type DeadLetterInfo,
  type DeadLetteredEvent,
} from "./event-log-common.ts";
export * from "./in-process-job-queue.ts";
export { DEFAULT_JOB_BACKOFF, DEFAULT_MAX_ATTEMPTS, retryDelayMs } from "./job-retry-policy.ts";
export * from "./resilient.ts";
