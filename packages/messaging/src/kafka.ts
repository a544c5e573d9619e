/**
 * The Kafka adapter of the event log (`@souk/messaging/kafka`): `createKafkaEventLog` and the
 * CloudEvents Kafka binding it writes. A subpath of its own because `@platformatic/kafka` costs a
 * process tens of MB of memory: only a process that talks to Kafka imports it.
 */
export * from "./kafka-event-log.ts";
export * from "./cloudevents-kafka.ts";
