import { failedPrecondition, type IdGenerator, type SoukError } from "@souk/platform";
import { emailsCustomer, type NotificationEvent, type NotificationEventType } from "./notification-event.ts";
import { endpointWants, type WebhookEndpoint } from "./webhook-endpoint.ts";

/** How a delivery reaches its recipient: an email to the customer, or a POST to a webhook endpoint. */
export type DeliveryChannel = "email" | "webhook";

/**
 * `pending` while enqueued or retried; `sent` once the SMTP server accepted the email or the
 * endpoint answered 2xx; `dead` once its attempts are exhausted (a dead letter says why).
 */
export type DeliveryStatus = "pending" | "sent" | "dead";

/** One email or webhook caused by one event. Unique per (event, channel, endpoint). */
export interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: NotificationEventType;
  readonly orderId: string;
  readonly channel: DeliveryChannel;
  /** The webhook endpoint; null for an email. */
  readonly endpointId: string | null;
  readonly status: DeliveryStatus;
  /** Attempts started so far, across replays. */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** A delivery about to be created. */
export interface PlannedDelivery {
  readonly id: string;
  readonly channel: DeliveryChannel;
  readonly endpointId: string | null;
}

/**
 * What one event causes: an email to the customer when the event is an order outcome
 * (`emailsCustomer`), and one webhook per active endpoint subscribed to its type.
 */
export function planDeliveries(
  event: NotificationEvent,
  endpoints: readonly WebhookEndpoint[],
  newId: IdGenerator,
): PlannedDelivery[] {
  const planned: PlannedDelivery[] = [];
  if (emailsCustomer(event.type)) planned.push({ id: newId(), channel: "email", endpointId: null });
  for (const endpoint of endpoints) {
    if (endpointWants(endpoint, event.type)) planned.push({ id: newId(), channel: "webhook", endpointId: endpoint.id });
  }
  return planned;
}

/** A delivery job that exhausted its attempts (or could never be processed), as recorded. */
export interface DeadLetterRecord {
  readonly id: string;
  /** The id of the dead job message (dead letters are recorded once per job). */
  readonly jobId: string;
  /** The delivery the job was about; null when the job could not be decoded. */
  readonly deliveryId: string | null;
  readonly queue: string;
  /** `max_attempts: <last error>` or a poison reason such as `recipient_not_found`. */
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: Date;
  readonly replayedAt: Date | null;
}

/** A dead letter with its delivery as it stands now. */
export interface DeadLetterView extends DeadLetterRecord {
  readonly delivery: Delivery | undefined;
}

/** Error codes of a refused replay. */
export const DEAD_LETTER_REPLAYED = "NOTIFICATIONS_DEAD_LETTER_REPLAYED";
export const DELIVERY_SENT = "NOTIFICATIONS_DELIVERY_SENT";
export const DEAD_LETTER_NOT_REPLAYABLE = "NOTIFICATIONS_DEAD_LETTER_NOT_REPLAYABLE";

/**
 * Why a dead letter cannot be replayed, or undefined when it can: it was replayed already (each
 * dead letter is replayed at most once — a replay that dies again makes a new dead letter), its
 * job named no delivery, or the delivery was sent meanwhile (a duplicate job got through).
 */
export function replayRefusal(deadLetter: DeadLetterRecord, delivery: Delivery | undefined): SoukError | undefined {
  if (deadLetter.replayedAt !== null) {
    return failedPrecondition(DEAD_LETTER_REPLAYED, `dead letter ${deadLetter.id} was already replayed`);
  }
  if (delivery === undefined) {
    return failedPrecondition(DEAD_LETTER_NOT_REPLAYABLE, `dead letter ${deadLetter.id} names no delivery`);
  }
  if (delivery.status === "sent") {
    return failedPrecondition(DELIVERY_SENT, `delivery ${delivery.id} was already sent`);
  }
  return undefined;
}

/**
 * An attempt failed in a way no retry can fix (the customer no longer exists, the endpoint was
 * deleted, the job names no delivery). `reason` is a short machine-readable code such as
 * `recipient_not_found`; the worker dead-letters the job at once with it.
 */
export class UndeliverableError extends Error {
  override readonly name = "UndeliverableError";
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Another worker holds the delivery's lease until `leasedUntil` (a duplicate job running
 * concurrently): not a failed attempt — the job is put back to be tried once the lease is over.
 */
export class DeliveryBusyError extends Error {
  override readonly name = "DeliveryBusyError";
  readonly leasedUntil: Date;
  constructor(deliveryId: string, leasedUntil: Date) {
    super(`delivery ${deliveryId} is being attempted by another worker`);
    this.leasedUntil = leasedUntil;
  }
}

/** What an attempt did: sent now, or nothing because the delivery was sent (or dead) already. */
export type AttemptResult = "sent" | "duplicate";

/** The Message-ID of the email an event causes (RFC 5322 §3.6.4): `<event-id@souk>`, one per event. */
export function emailMessageId(eventId: string): string {
  return `<${eventId}@souk>`;
}
