import {
  OFF_PATH_BATCH_DELAY_MS,
  PoisonMessageError,
  TOPICS,
  type DeadLetter,
  type EventEnvelope,
  type EventLog,
  type JobQueue,
  type OutboxRelay,
  type ReceivedEvent,
  type ReceivedJob,
  type Subscription,
} from "@souk/messaging";
import { currentTraceCarrier, type Clock, type Logger } from "@souk/platform";
import { DeliveryBusyError, UndeliverableError, type AttemptResult, type DeliveryChannel } from "../domain/delivery.ts";
import type { TraceContext } from "../domain/ports.ts";
import type { NotificationsUseCases } from "../index.ts";
import { deadJobDeliveryId, decodeDeliveryJob, QUEUES } from "./delivery-jobs.ts";
import { toNotificationEvent } from "./notification-events.ts";

/** The consumer group of notifications on the event log. */
export const CONSUMER_GROUP = "notifications";

/** The topics notifications consumes. */
export const CONSUMED_TOPICS = [TOPICS.orders, TOPICS.payments] as const;

/** Retry policy of the two delivery queues. */
export interface DeliveryRetryPolicy {
  readonly emailMaxAttempts: number;
  readonly webhookMaxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Jobs attempted at once per queue by this process. */
  readonly concurrency: number;
}

/** Shortest delay before a job that met another worker's lease is tried again, in ms. */
const BUSY_RECHECK_MIN_MS = 100;

/** The envelope of a received job, as it is enqueued again (same id, payload and trace). */
function envelopeOf(job: ReceivedJob): EventEnvelope {
  const { queue: _queue, attempt: _attempt, ...envelope } = job;
  return envelope;
}

/** What the subscriptions need. */
export interface SubscriptionDeps {
  readonly clock: Clock;
  readonly eventLog: EventLog;
  readonly jobQueue: JobQueue;
  readonly relay: OutboxRelay;
  readonly useCases: NotificationsUseCases;
  readonly retry: DeliveryRetryPolicy;
  readonly logger: Logger;
}

/** The trace a delivery job carries: the consumer's active span, else the event's own context. */
function traceOf(event: ReceivedEvent): TraceContext {
  const active = currentTraceCarrier();
  return active.traceparent !== undefined ? active : { traceparent: event.traceparent, tracestate: event.tracestate };
}

/**
 * Every subscription of notifications, in one place:
 *
 * - event log, group `notifications`, topics `souk.orders.v1` and `souk.payments.v1`: each event
 *   is decoded (a poison event is dead-lettered by the adapter to `<topic>.dlq`) and accepted
 *   once through the inbox, creating its deliveries and their jobs (outbox → job queue);
 * - job queues `notifications.email` and `notifications.webhook`: one attempt per job; an
 *   undeliverable job is poison (dead-lettered at once), any other failure is retried with
 *   exponential backoff up to the queue's max attempts;
 * - their dead letters: recorded (and the delivery marked dead) for operators to list and replay.
 *
 * `start()` declares the queues and starts, in order, the dead-letter consumers, the workers, the
 * outbox relay and the event consumer; `stop()` stops them in reverse, waiting for work in flight.
 */
export function notificationSubscriptions(deps: SubscriptionDeps) {
  const { useCases, logger, retry } = deps;
  let workers: Subscription[] = [];
  let events: Subscription | undefined;
  let started = false;

  const attempts: Record<DeliveryChannel, (deliveryId: string) => Promise<AttemptResult>> = {
    email: useCases.sendEmail,
    webhook: useCases.deliverWebhook,
  };

  const work = (channel: DeliveryChannel) => async (job: ReceivedJob) => {
    const deliveryId = decodeDeliveryJob(job, channel);
    try {
      const result = await attempts[channel](deliveryId);
      logger.debug({ channel, deliveryId, attempt: job.attempt, result }, "delivery attempted");
    } catch (error) {
      if (error instanceof UndeliverableError)
        throw new PoisonMessageError(error.reason, error.message, { cause: error });
      if (error instanceof DeliveryBusyError) {
        // A duplicate job met another worker's lease: no attempt was made, so none is spent (a
        // retry would count one, and enough of them would dead-letter a delivery being sent).
        // The job goes back, delayed until the lease is over: by then the delivery is sent (a
        // no-op) or its worker died and this job takes it over.
        const delayMs = Math.max(BUSY_RECHECK_MIN_MS, error.leasedUntil.getTime() - deps.clock().getTime());
        await deps.jobQueue.enqueue(QUEUES[channel], [envelopeOf(job)], { delayMs });
        logger.debug(
          { channel, deliveryId, delayMs },
          "delivery leased by another worker; job put back until the lease ends",
        );
        return;
      }
      throw error;
    }
  };

  const bury = (channel: DeliveryChannel) => async (dead: DeadLetter) => {
    await useCases.recordDeadLetter({
      jobId: dead.id,
      deliveryId: deadJobDeliveryId(dead, channel),
      queue: dead.queue,
      reason: dead.reason,
      attempts: dead.attempts,
      failedAt: dead.failedAt,
    });
  };

  const consume = async (event: ReceivedEvent) => {
    const notification = toNotificationEvent(event);
    if (notification === undefined) return;
    const deliveries = await useCases.acceptEvent(notification, traceOf(event));
    if (deliveries !== undefined && deliveries.length > 0) deps.relay.nudge();
  };

  return {
    async start() {
      if (started) return;
      started = true;
      const backoff = { baseMs: retry.baseMs, maxMs: Math.max(retry.baseMs, retry.maxMs) };
      await deps.jobQueue.ensureQueues([
        { name: QUEUES.email, maxAttempts: retry.emailMaxAttempts, backoff },
        { name: QUEUES.webhook, maxAttempts: retry.webhookMaxAttempts, backoff },
      ]);
      for (const channel of ["email", "webhook"] as const) {
        workers.push(await deps.jobQueue.consumeDeadLetters(QUEUES[channel], bury(channel)));
        workers.push(
          await deps.jobQueue.consume({
            queue: QUEUES[channel],
            concurrency: retry.concurrency,
            handle: work(channel),
          }),
        );
      }
      await deps.relay.start();
      events = await deps.eventLog.subscribe({
        topics: CONSUMED_TOPICS,
        group: CONSUMER_GROUP,
        maxBatchDelayMs: OFF_PATH_BATCH_DELAY_MS,
        handle: consume,
      });
    },
    async stop() {
      if (!started) return;
      started = false;
      // Stop taking events, then stop moving jobs out of the outbox (rows left there are sent
      // after a restart), then let the workers finish the attempts in flight.
      await events?.close();
      events = undefined;
      await deps.relay.stop();
      const closing = workers.reverse();
      workers = [];
      for (const subscription of closing) await subscription.close();
    },
  };
}
