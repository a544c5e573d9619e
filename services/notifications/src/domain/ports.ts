import type { DeadLetterRecord, DeadLetterView, Delivery, PlannedDelivery } from "./delivery.ts";
import type { Recipient } from "./email-template.ts";
import type { NotificationEvent } from "./notification-event.ts";
import type { WebhookEndpoint, WebhookEndpointInput } from "./webhook-endpoint.ts";

/** W3C trace context a delivery job carries, so the worker's spans continue the event's trace. */
export interface TraceContext {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** The outcome of claiming a delivery for one attempt. */
export type DeliveryClaim =
  /** This worker owns the attempt until the lease ends; `attempts` already counts it. */
  | {
      readonly outcome: "claimed";
      readonly delivery: Delivery;
      readonly event: NotificationEvent;
      readonly endpoint: WebhookEndpoint | undefined;
    }
  /** Sent or dead already: a duplicate job, nothing to do. */
  | { readonly outcome: "done"; readonly delivery: Delivery }
  /** Another worker's lease is running until `leasedUntil`: try again after it. */
  | { readonly outcome: "busy"; readonly leasedUntil: Date }
  | { readonly outcome: "missing" };

/** A dead letter to record. */
export type NewDeadLetter = Omit<DeadLetterRecord, "replayedAt">;

/** The outcome of a replay. */
export type ReplayOutcome =
  | { readonly outcome: "replayed"; readonly deadLetter: DeadLetterView }
  | { readonly outcome: "refused"; readonly error: Error }
  | { readonly outcome: "missing" };

/** One consumed event for `NotificationStore.acceptEvents`, with how to plan its deliveries. */
export interface EventToAccept {
  readonly event: NotificationEvent;
  /** Chooses the event's deliveries among the active webhook endpoints. */
  readonly plan: (endpoints: readonly WebhookEndpoint[]) => readonly PlannedDelivery[];
  /** The trace its delivery jobs carry. */
  readonly trace: TraceContext;
}

/** Port: notifications' PostgreSQL store (events, deliveries, endpoints, dead letters, outbox, inbox). */
export interface NotificationStore {
  /**
   * In one transaction for the whole batch: claims each event's id in the inbox — an event claimed
   * before (a redelivery), or given twice, is accepted once and resolves undefined, with nothing
   * written for it — then records the new events, creates the deliveries each one's `plan`
   * chooses among the active webhook endpoints, and appends one job per delivery (created at
   * `now`) to the outbox carrying that event's `trace`. Resolves, per event and in order, the
   * deliveries created or undefined. A batch fails as a whole (nothing is written).
   */
  acceptEvents(events: readonly EventToAccept[], now: Date): Promise<readonly (readonly Delivery[] | undefined)[]>;
  /**
   * Starts an attempt on a pending delivery not leased by another worker: counts the attempt and
   * leases the delivery until `leaseUntil` (a worker that dies leaves it claimable after that).
   */
  claimDelivery(deliveryId: string, now: Date, leaseUntil: Date): Promise<DeliveryClaim>;
  /** Marks a claimed delivery sent at `now` and ends its lease. */
  markSent(deliveryId: string, now: Date): Promise<void>;
  /** Records why an attempt failed (at most 1000 characters kept) and ends the lease. */
  recordFailure(deliveryId: string, error: string): Promise<void>;
  /**
   * Records a dead letter once per job id and marks its delivery `dead` unless it was sent.
   * Resolves false when the job's dead letter was recorded before.
   */
  recordDeadLetter(deadLetter: NewDeadLetter): Promise<boolean>;
  /**
   * In one transaction: locks the dead letter, asks `refuse` whether it may be replayed, and if
   * so marks it replayed at `now`, sets its delivery back to `pending` and appends a new job for
   * it to the outbox (the job queue counts its attempts from 1 again) carrying `trace`.
   */
  replayDeadLetter(
    deadLetterId: string,
    now: Date,
    refuse: (deadLetter: DeadLetterRecord, delivery: Delivery | undefined) => Error | undefined,
    trace: TraceContext,
  ): Promise<ReplayOutcome>;
  /**
   * In one transaction: finds up to `limit` pending, unleased deliveries with no activity (job
   * written, attempt started) since `idleSince` — their job was lost, e.g. with an in-memory
   * queue when the process stopped — and writes a new job for each to the outbox carrying
   * `trace`, marking them active at `now`. Resolves how many were requeued.
   */
  requeueStalled(now: Date, idleSince: Date, limit: number, trace: TraceContext): Promise<number>;
  /** Dead letters newest first, after the one with id `after` when given. */
  listDeadLetters(limit: number, after: string | undefined): Promise<readonly DeadLetterView[]>;
  /** The deliveries caused by one order's events, oldest first. */
  listDeliveries(orderId: string): Promise<readonly Delivery[]>;
  createEndpoint(
    endpoint: WebhookEndpointInput & { readonly id: string; readonly secret: string; readonly createdAt: Date },
  ): Promise<WebhookEndpoint>;
  /** Every endpoint, newest first. */
  listEndpoints(): Promise<readonly WebhookEndpoint[]>;
  /** Deactivates an endpoint at `now` (idempotent); undefined when there is none with that id. */
  deactivateEndpoint(id: string, now: Date): Promise<WebhookEndpoint | undefined>;
}

/** Port: the customers' contact details (identity's UsersService). */
export interface Recipients {
  /** The customer `userId`, or undefined when identity has no such user. @throws on an outage. */
  find(userId: string): Promise<Recipient | undefined>;
}

/** An email ready to send. */
export interface OutgoingEmail {
  readonly to: Recipient;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** RFC 5322 Message-ID including the angle brackets, e.g. `<event-id@souk>`. */
  readonly messageId: string;
  /** Extra header fields (the sender adds the trace context). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Port: sends email (SMTP through nodemailer). */
export interface EmailSender {
  /** Resolves once the server accepted the message. @throws when it did not (a retry may follow). */
  send(email: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}

/** One webhook POST. */
export interface WebhookRequest {
  readonly url: string;
  /** The exact JSON bytes that were signed. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** Port: POSTs webhooks (HTTP). */
export interface WebhookSender {
  /**
   * POSTs the request (no redirects followed) and resolves with the response status.
   * @throws on a timeout or a connection error.
   */
  post(request: WebhookRequest): Promise<{ readonly status: number }>;
}

/** Signs a webhook body for the `Souk-Signature` header at `timestampSeconds` (Unix seconds). */
export type WebhookSigner = (secret: string, body: string, timestampSeconds: number) => string;
