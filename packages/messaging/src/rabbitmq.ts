/**
 * The RabbitMQ adapter of the job queue (`@souk/messaging/rabbitmq`): `createRabbitMqJobQueue`
 * and the CloudEvents AMQP binding it writes. A subpath of its own because `amqplib` costs a
 * process memory: only a process that talks to RabbitMQ imports it.
 */
export * from "./rabbitmq-job-queue.ts";
export {
  CLOUDEVENTS_AMQP_PREFIX,
  JOB_HEADERS,
  envelopeFromAmqp,
  envelopeToAmqp,
  type AmqpEventMessage,
  type AmqpMessageLike,
} from "./cloudevents-amqp.ts";
