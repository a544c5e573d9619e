import Type from "typebox";
import { NextCursor, PageCursor, PageLimit, ProblemDto, ResourceId, Text } from "./common.schemas.ts";

/** POST /v1/admin/webhook-endpoints body. */
export const CreateWebhookEndpointBody = Type.Object(
  {
    url: Text({
      minLength: 1,
      maxLength: 2048,
      description: "http:// or https:// URL the events are POSTed to (no credentials, no fragment)",
    }),
    eventTypes: Type.Array(Type.String({ pattern: "^(\\*|[a-z]+\\.[a-z]+)$", maxLength: 64 }), {
      minItems: 1,
      maxItems: 20,
      description:
        "Event types to deliver: order.placed, order.confirmed, order.cancelled, order.refunded, " +
        "payment.authorized, payment.captured, payment.voided, payment.refunded, payment.failed; " +
        'or ["*"] for every type',
    }),
  },
  { additionalProperties: false },
);

/** A registered webhook endpoint (its secret is only shown when created). */
export const WebhookEndpointDto = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  active: Type.Boolean({ description: "False once deleted" }),
  createdAt: Type.String({ format: "date-time" }),
});

/** 201 answer of POST /v1/admin/webhook-endpoints: the endpoint and its signing secret, shown once. */
export const CreatedWebhookEndpoint = Type.Object({
  endpoint: WebhookEndpointDto,
  secret: Type.String({
    description:
      "HMAC-SHA256 signing secret (whsec_…), shown only now. Each delivery carries " +
      '`Souk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (Stripe\'s scheme)',
  }),
});

/** Responses that carry one endpoint. */
export const WebhookEndpointEnvelope = Type.Object({ endpoint: WebhookEndpointDto });

/** Every webhook endpoint, newest first. */
export const WebhookEndpointList = Type.Object({ items: Type.Array(WebhookEndpointDto) });

/** Path of the routes about one resource. */
export const AdminResourceParams = Type.Object({ id: ResourceId });

/** One email or webhook caused by an order event. */
export const DeliveryDto = Type.Object({
  id: Type.String(),
  eventId: Type.String({ description: "Id of the event that caused it: the email's Message-ID, the webhook's `id`" }),
  eventType: Type.String({ description: "e.g. order.confirmed" }),
  orderId: Type.String(),
  channel: Type.Enum(["email", "webhook"]),
  endpointId: Type.Union([Type.String(), Type.Null()], { description: "The webhook endpoint; null for an email" }),
  status: Type.Enum(["pending", "sent", "dead"]),
  attempts: Type.Integer({ minimum: 0, description: "Attempts made so far, replays included" }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: "Why the last attempt failed" }),
  createdAt: Type.String({ format: "date-time" }),
  sentAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

/** The deliveries of one order, oldest first. */
export const DeliveryList = Type.Object({ items: Type.Array(DeliveryDto) });

/** A delivery that exhausted its attempts. */
export const DeadLetterDto = Type.Object({
  id: Type.String(),
  deliveryId: Type.Union([Type.String(), Type.Null()], { description: "Null when the job could not be decoded" }),
  queue: Type.String({ description: "notifications.email or notifications.webhook" }),
  reason: Type.String({ description: "e.g. `max_attempts: endpoint answered 500`, `recipient_not_found`" }),
  attempts: Type.Integer({ minimum: 0 }),
  failedAt: Type.String({ format: "date-time" }),
  replayedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  delivery: Type.Union([DeliveryDto, Type.Null()], { description: "The delivery as it stands now" }),
});

/** Responses that carry one dead letter. */
export const DeadLetterEnvelope = Type.Object({ deadLetter: DeadLetterDto });

/** GET /v1/admin/dead-letters query. */
export const DeadLetterListQuery = Type.Object(
  { limit: Type.Optional(PageLimit), cursor: Type.Optional(PageCursor) },
  { additionalProperties: false },
);

/** A page of dead letters, newest first. */
export const DeadLetterPage = Type.Object({ items: Type.Array(DeadLetterDto), nextCursor: NextCursor });

/** The OpenAPI security requirement of admin routes: `Authorization: Bearer <GATEWAY_ADMIN_TOKEN>`. */
export const ADMIN_SECURITY = [{ bearerAuth: [] }];

/** Admin routes' extra problem answers: 403 when the admin API is disabled (no GATEWAY_ADMIN_TOKEN). */
export const ADMIN_PROBLEMS = {
  403: {
    description: "The admin API is disabled: GATEWAY_ADMIN_TOKEN is not set",
    content: { "application/problem+json": { schema: ProblemDto } },
  },
};
