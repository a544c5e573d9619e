export * from "./envelope.ts";
export * from "./event-log.ts";
export * from "./job-queue.ts";
export * from "./outbox.ts";
export * from "./inbox.ts";
export * from "./catalog.ts";
export * from "./in-process-event-log.ts";
export * from "./kafka-event-log.ts";
export * from "./cloudevents-kafka.ts";
export {
  backoffDelayMs,
  deadLetterTopic,
  partitionForSubject,
  DEAD_LETTER_SUFFIX,
  type DeadLetterInfo,
  type DeadLetteredEvent,
} from "./event-log-common.ts";
export * from "./in-process-job-queue.ts";
export * from "./rabbitmq-job-queue.ts";
export {
  CLOUDEVENTS_AMQP_PREFIX,
  JOB_HEADERS,
  envelopeFromAmqp,
  envelopeToAmqp,
  type AmqpEventMessage,
  type AmqpMessageLike,
} from "./cloudevents-amqp.ts";
export { DEFAULT_JOB_BACKOFF, DEFAULT_MAX_ATTEMPTS, retryDelayMs } from "./job-retry-policy.ts";
export * from "./resilient.ts";
