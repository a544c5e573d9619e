import type { Client } from "@connectrpc/connect";
import type { Static } from "typebox";
import type { UsersService } from "@souk/contracts/identity";
import { NotificationsService } from "@souk/contracts/notifications";
import { createOutboxRelay, type EventLog, type JobQueue } from "@souk/messaging";
import { currentTraceCarrier, every, newId, type Clock, type Logger, type SqlDatabase } from "@souk/platform";
import { notificationsHandlers } from "./api/notifications.grpc.ts";
import { usersRecipients } from "./clients/users.client.ts";
import type { NotificationsConfig } from "./config.ts";
import { newWebhookSecret, signWebhook } from "./crypto/webhook-signature.ts";
import { deliveryJobEncoder } from "./events/delivery-jobs.ts";
import { notificationSubscriptions } from "./events/subscriptions.ts";
import { createWebhookSender } from "./provider/http.webhook-sender.ts";
import { createEmailSender } from "./provider/smtp.email-sender.ts";
import { notificationsMigrations } from "./store/migrations.ts";
import { createNotificationStore } from "./store/notification.store.ts";
import type { NotificationsDatabase } from "./store/notifications.tables.ts";
import { acceptEvent } from "./usecases/accept-event.usecase.ts";
import { createWebhookEndpoint } from "./usecases/create-webhook-endpoint.usecase.ts";
import { deleteWebhookEndpoint } from "./usecases/delete-webhook-endpoint.usecase.ts";
import { deliverWebhook } from "./usecases/deliver-webhook.usecase.ts";
import { listDeadLetters } from "./usecases/list-dead-letters.usecase.ts";
import { listDeliveries } from "./usecases/list-deliveries.usecase.ts";
import { listWebhookEndpoints } from "./usecases/list-webhook-endpoints.usecase.ts";
import { recordDeadLetter } from "./usecases/record-dead-letter.usecase.ts";
import { replayDeadLetter } from "./usecases/replay-dead-letter.usecase.ts";
import { requeueStalledDeliveries } from "./usecases/requeue-stalled-deliveries.usecase.ts";
import { sendEmail } from "./usecases/send-email.usecase.ts";

export { NotificationsConfig } from "./config.ts";
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type WebhookVerification,
} from "./crypto/webhook-signature.ts";
export { CONSUMED_TOPICS, CONSUMER_GROUP } from "./events/subscriptions.ts";
export { JOB_TYPES, QUEUES } from "./events/delivery-jobs.ts";
export type { WebhookPayload } from "./domain/notification-event.ts";

/** The schema notifications owns. */
export const NOTIFICATIONS_SCHEMA = "notifications";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { notificationsMigrations };

/** What notifications' composition root needs. */
export interface NotificationsDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof NotificationsConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The event log it consumes order and payment events from (Kafka, or in-process). */
  readonly eventLog: EventLog;
  /** The job queue of its email and webhook deliveries (RabbitMQ, or in-process). */
  readonly jobQueue: JobQueue;
  /** Identity's users: the customer's email and name. */
  readonly users: Client<typeof UsersService>;
}

/** The use cases, as the transports see them. */
export interface NotificationsUseCases {
  readonly acceptEvent: ReturnType<typeof acceptEvent>;
  readonly sendEmail: ReturnType<typeof sendEmail>;
  readonly deliverWebhook: ReturnType<typeof deliverWebhook>;
  readonly recordDeadLetter: ReturnType<typeof recordDeadLetter>;
  readonly replayDeadLetter: ReturnType<typeof replayDeadLetter>;
  readonly listDeadLetters: ReturnType<typeof listDeadLetters>;
  readonly listDeliveries: ReturnType<typeof listDeliveries>;
  readonly createWebhookEndpoint: ReturnType<typeof createWebhookEndpoint>;
  readonly listWebhookEndpoints: ReturnType<typeof listWebhookEndpoints>;
  readonly deleteWebhookEndpoint: ReturnType<typeof deleteWebhookEndpoint>;
  readonly requeueStalledDeliveries: ReturnType<typeof requeueStalledDeliveries>;
}

/** Extra time a delivery lease lasts beyond the attempt's own timeout, in ms. */
const LEASE_MARGIN_MS = 5_000;

/** Extra idle time before a pending delivery counts as stalled, beyond the longest retry delay and lease, in ms. */
const STALL_MARGIN_MS = 60_000;

/**
 * Composition root of the notifications service: migrates its schema, builds store → use cases →
 * gRPC handlers, and the subscriptions (event consumer, outbox relay to the job queue, email and
 * webhook workers, dead-letter recorders) that run while started. The caller owns `eventLog`,
 * `jobQueue` and `database` and closes them after `stop()`.
 * @throws Error when a migration fails.
 */
export async function createNotificationsService(deps: NotificationsDeps) {
  await deps.database.migrate(NOTIFICATIONS_SCHEMA, notificationsMigrations);
  const { config, clock } = deps;
  const logger = deps.logger.child({ service: "notifications" });
  const db = deps.database.forSchema<NotificationsDatabase>(NOTIFICATIONS_SCHEMA);
  const store = createNotificationStore(db, deliveryJobEncoder(newId, clock));
  const relay = createOutboxRelay({
    db: deps.database.forSchema<unknown>(NOTIFICATIONS_SCHEMA),
    name: "notifications",
    publish: (queue, jobs) => deps.jobQueue.enqueue(queue, jobs),
    logger,
  });
  const emailSender = createEmailSender({
    url: config.SMTP_URL,
    from: config.NOTIFICATIONS_EMAIL_FROM,
    timeoutMs: config.NOTIFICATIONS_SMTP_TIMEOUT_MS,
    logger,
  });
  const emailLeaseMs = 3 * config.NOTIFICATIONS_SMTP_TIMEOUT_MS + LEASE_MARGIN_MS;
  const webhookLeaseMs = config.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS;
  const useCases: NotificationsUseCases = {
    acceptEvent: acceptEvent({ store, newId, clock }),
    sendEmail: sendEmail({
      store,
      recipients: usersRecipients(deps.users),
      sender: emailSender,
      clock,
      branding: { storeName: config.NOTIFICATIONS_STORE_NAME },
      // An SMTP exchange may wait up to three timeouts (connect, greeting, socket).
      leaseMs: emailLeaseMs,
    }),
    deliverWebhook: deliverWebhook({
      store,
      sender: createWebhookSender(),
      sign: signWebhook,
      clock,
      timeoutMs: config.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS,
      leaseMs: webhookLeaseMs,
    }),
    recordDeadLetter: recordDeadLetter({ store, newId, logger }),
    replayDeadLetter: replayDeadLetter({
      store,
      clock,
      traceContext: () => currentTraceCarrier(),
      afterCommit: () => relay.nudge(),
    }),
    listDeadLetters: listDeadLetters(store),
    listDeliveries: listDeliveries(store),
    createWebhookEndpoint: createWebhookEndpoint({ store, newId, newSecret: newWebhookSecret, clock }),
    listWebhookEndpoints: listWebhookEndpoints(store),
    deleteWebhookEndpoint: deleteWebhookEndpoint({ store, clock }),
    requeueStalledDeliveries: requeueStalledDeliveries({
      store,
      clock,
      idleMs: config.NOTIFICATIONS_RETRY_MAX_MS + Math.max(emailLeaseMs, webhookLeaseMs) + STALL_MARGIN_MS,
      afterCommit: () => relay.nudge(),
    }),
  };
  const subscriptions = notificationSubscriptions({
    clock: deps.clock,
    eventLog: deps.eventLog,
    jobQueue: deps.jobQueue,
    relay,
    useCases,
    retry: {
      emailMaxAttempts: config.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS,
      webhookMaxAttempts: config.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS,
      baseMs: config.NOTIFICATIONS_RETRY_BASE_MS,
      maxMs: config.NOTIFICATIONS_RETRY_MAX_MS,
      concurrency: config.NOTIFICATIONS_WORKER_CONCURRENCY,
    },
    logger,
  });
  const sweeper = every(
    config.NOTIFICATIONS_STALLED_SWEEP_INTERVAL_MS,
    async () => {
      const requeued = await useCases.requeueStalledDeliveries();
      if (requeued > 0) logger.warn({ requeued }, "requeued deliveries whose job was lost");
    },
    logger,
    "stalled-deliveries",
  );
  let stopped: Promise<void> | undefined;
  return {
    service: NotificationsService,
    handlers: notificationsHandlers(useCases),
    useCases,
    /**
     * Declares the job queues and starts consuming events, relaying jobs and delivering, and the
     * sweeper that requeues deliveries whose job was lost.
     */
    async start() {
      stopped = undefined;
      await subscriptions.start();
      await sweeper.start();
    },
    /** Stops consuming, relaying and delivering (waiting for attempts in flight) and closes the SMTP pool. */
    stop() {
      stopped ??= (async () => {
        await sweeper.stop();
        await subscriptions.stop();
        await emailSender.close();
      })();
      return stopped;
    },
  };
}
