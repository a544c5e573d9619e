/**
 * The events notifications reacts to, as its domain sees them: a public event type (the one
 * webhook receivers subscribe to, in Stripe's `object.verb` style) and a JSON-ready `data`
 * object — exactly what a webhook delivers, and what the email templates read. Built by the
 * event consumer from the Protobuf payloads of `souk.order.*.v1` and `souk.payment.*.v1`.
 */

/** Every event type a webhook endpoint can subscribe to (`*` subscribes to all). */
export const WEBHOOK_EVENT_TYPES = [
  "order.placed",
  "order.confirmed",
  "order.cancelled",
  "order.refunded",
  "payment.authorized",
  "payment.captured",
  "payment.voided",
  "payment.refunded",
  "payment.failed",
] as const;

/** A public event type, e.g. `order.confirmed`. */
export type NotificationEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The wildcard subscription: every event type, present and future. */
export const ALL_EVENT_TYPES = "*";

/** True when `value` is one of `WEBHOOK_EVENT_TYPES`. */
export function isNotificationEventType(value: string): value is NotificationEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Money in webhook and template data: integer minor units (cents for USD) and an ISO 4217 code, as the REST API. */
export interface MoneyData {
  readonly amount: number;
  readonly currency: string;
}

/** One line of an order, priced at checkout. */
export interface OrderLineData {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: MoneyData;
  readonly lineTotal: MoneyData;
}

/** `data` of an `order.*` event. Times are RFC 3339 UTC strings; absent facts are null. */
export interface OrderEventData {
  readonly object: "order";
  readonly orderId: string;
  readonly userId: string;
  readonly status: "placed" | "confirmed" | "cancelled" | "refunded";
  /** Empty for cancelled and refunded orders (their events do not carry lines). */
  readonly lines: readonly OrderLineData[];
  readonly total: MoneyData;
  /** Why it was cancelled or refunded, a code such as `card_declined`; null otherwise. */
  readonly reason: string | null;
  readonly placedAt: string | null;
  /** When the order reached `status`. */
  readonly occurredAt: string;
}

/** `data` of a `payment.*` event. */
export interface PaymentEventData {
  readonly object: "payment";
  readonly paymentId: string;
  readonly orderId: string;
  readonly userId: string;
  readonly status: "authorized" | "captured" | "voided" | "refunded" | "failed";
  readonly amount: MoneyData;
  /** Why an authorization failed (e.g. `card_declined`); null otherwise. */
  readonly failureCode: string | null;
  readonly occurredAt: string;
}

/** The data of any notification event. */
export type NotificationEventData = OrderEventData | PaymentEventData;

/** An event notifications accepted. */
export interface NotificationEvent {
  /** The CloudEvents id (a UUIDv7): the inbox key, the email's Message-ID, the webhook's `id`. */
  readonly id: string;
  readonly type: NotificationEventType;
  readonly orderId: string;
  readonly userId: string;
  /** When the state change happened (the CloudEvents `time`). */
  readonly occurredAt: Date;
  readonly data: NotificationEventData;
}

/** The event types that email the customer: the outcome of their order. */
const EMAILED: ReadonlySet<NotificationEventType> = new Set(["order.confirmed", "order.cancelled", "order.refunded"]);

/**
 * True when `type` emails the customer. Only the outcomes of an order do (confirmed, cancelled,
 * refunded); `order.placed` and payment events only go to webhooks — a payment's outcome reaches
 * the customer through the order's email.
 */
export function emailsCustomer(type: NotificationEventType): boolean {
  return EMAILED.has(type);
}

/**
 * The JSON body of a webhook, in Stripe's event shape (https://docs.stripe.com/api/events/object):
 * `{ id, type, created, data }` with `created` in Unix seconds and `id` the event id, which
 * receivers deduplicate on (a delivery may be retried).
 */
export interface WebhookPayload {
  readonly id: string;
  readonly type: NotificationEventType;
  readonly created: number;
  readonly data: NotificationEventData;
}

/** The webhook body of `event` (see WebhookPayload). */
export function webhookPayload(event: NotificationEvent): WebhookPayload {
  return {
    id: event.id,
    type: event.type,
    created: Math.floor(event.occurredAt.getTime() / 1000),
    data: event.data,
  };
}
