import type { Static } from "typebox";
import type { Client } from "@connectrpc/connect";
import {
  DeliveryChannel,
  DeliveryStatus,
  type DeadLetter,
  type Delivery,
  type NotificationsService,
  type WebhookEndpoint,
} from "@souk/contracts/notifications";
import { int64ToNumber, type HttpServer } from "@souk/platform";
import type { AdminAuth } from "../admin.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import {
  ADMIN_PROBLEMS,
  ADMIN_SECURITY,
  AdminResourceParams,
  CreatedWebhookEndpoint,
  CreateWebhookEndpointBody,
  DeadLetterEnvelope,
  DeadLetterListQuery,
  DeadLetterPage,
  DeliveryList,
  WebhookEndpointEnvelope,
  WebhookEndpointList,
  type DeadLetterDto,
  type DeliveryDto,
  type WebhookEndpointDto,
} from "../schemas/notifications.schemas.ts";

const iso = (ms: bigint): string => new Date(int64ToNumber(ms)).toISOString();
const isoOrNull = (ms: bigint): string | null => (ms === 0n ? null : iso(ms));
const textOrNull = (text: string): string | null => (text === "" ? null : text);

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`service response is missing ${what}`);
  return value;
}

function toEndpointDto(e: WebhookEndpoint): Static<typeof WebhookEndpointDto> {
  return { id: e.id, url: e.url, eventTypes: e.eventTypes, active: e.active, createdAt: iso(e.createdAtMs) };
}

function toDeliveryDto(d: Delivery): Static<typeof DeliveryDto> {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    orderId: d.orderId,
    channel: d.channel === DeliveryChannel.EMAIL ? "email" : "webhook",
    endpointId: textOrNull(d.endpointId),
    status: d.status === DeliveryStatus.SENT ? "sent" : d.status === DeliveryStatus.DEAD ? "dead" : "pending",
    attempts: d.attempts,
    lastError: textOrNull(d.lastError),
    createdAt: iso(d.createdAtMs),
    sentAt: isoOrNull(d.sentAtMs),
  };
}

function toDeadLetterDto(d: DeadLetter): Static<typeof DeadLetterDto> {
  return {
    id: d.id,
    deliveryId: textOrNull(d.deliveryId),
    queue: d.queue,
    reason: d.reason,
    attempts: d.attempts,
    failedAt: iso(d.failedAtMs),
    replayedAt: isoOrNull(d.replayedAtMs),
    delivery: d.delivery === undefined ? null : toDeliveryDto(d.delivery),
  };
}

/**
 * The operators' notifications API (`Authorization: Bearer <GATEWAY_ADMIN_TOKEN>`), over
 * NotificationsService: register, list and delete webhook endpoints
 * (POST/GET /v1/admin/webhook-endpoints, DELETE /v1/admin/webhook-endpoints/{id}), list and
 * replay dead letters (GET /v1/admin/dead-letters, POST /v1/admin/dead-letters/{id}/replay), and
 * the emails and webhooks of one order (GET /v1/admin/orders/{id}/deliveries).
 */
export function adminNotificationsRoutes(
  app: HttpServer,
  deps: { notifications: Client<typeof NotificationsService>; admin: AdminAuth },
): void {
  const { notifications, admin } = deps;

  app.post(
    "/v1/admin/webhook-endpoints",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "createWebhookEndpoint",
        summary: "Register a webhook endpoint; answers its signing secret, once",
        security: ADMIN_SECURITY,
        body: CreateWebhookEndpointBody,
        response: {
          201: jsonResponse("The endpoint and its signing secret", CreatedWebhookEndpoint),
          ...problemResponses(401, 413, 415),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await notifications.createWebhookEndpoint(request.body);
      const dto = toEndpointDto(present(endpoint, "endpoint"));
      return reply
        .code(201)
        .header("location", `/v1/admin/webhook-endpoints/${encodeURIComponent(dto.id)}`)
        .send({ endpoint: dto, secret });
    },
  );

  app.get(
    "/v1/admin/webhook-endpoints",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "listWebhookEndpoints",
        summary: "Every webhook endpoint (active and deleted), newest first, without secrets",
        security: ADMIN_SECURITY,
        response: {
          200: jsonResponse("The endpoints", WebhookEndpointList),
          ...problemResponses(401),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async () => {
      const { endpoints } = await notifications.listWebhookEndpoints({});
      return { items: endpoints.map(toEndpointDto) };
    },
  );

  app.delete(
    "/v1/admin/webhook-endpoints/:id",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "deleteWebhookEndpoint",
        summary: "Deactivate a webhook endpoint (idempotent); its history is kept",
        security: ADMIN_SECURITY,
        params: AdminResourceParams,
        response: {
          200: jsonResponse("The deactivated endpoint", WebhookEndpointEnvelope),
          ...problemResponses(401, 404),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async (request) => {
      const { endpoint } = await notifications.deleteWebhookEndpoint({ id: request.params.id });
      return { endpoint: toEndpointDto(present(endpoint, "endpoint")) };
    },
  );

  app.get(
    "/v1/admin/dead-letters",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "listDeadLetters",
        summary: "Emails and webhooks that exhausted their attempts, newest first",
        security: ADMIN_SECURITY,
        querystring: DeadLetterListQuery,
        response: {
          200: jsonResponse("A page of dead letters", DeadLetterPage),
          ...problemResponses(401),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await notifications.listDeadLetters({ limit, cursor });
      return { items: page.deadLetters.map(toDeadLetterDto), nextCursor: textOrNull(page.nextCursor) };
    },
  );

  app.post(
    "/v1/admin/dead-letters/:id/replay",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "replayDeadLetter",
        summary: "Enqueue a dead letter's delivery again, with a fresh set of attempts",
        description:
          "409 when it was already replayed (NOTIFICATIONS_DEAD_LETTER_REPLAYED) or its delivery was " +
          "sent meanwhile (NOTIFICATIONS_DELIVERY_SENT).",
        security: ADMIN_SECURITY,
        params: AdminResourceParams,
        response: {
          200: jsonResponse("The replayed dead letter", DeadLetterEnvelope),
          ...problemResponses(401, 404, 409),
          ...ADMIN_PROBLEMS,
        },
      },
    },
    async (request) => {
      const { deadLetter } = await notifications.replayDeadLetter({ deadLetterId: request.params.id });
      return { deadLetter: toDeadLetterDto(present(deadLetter, "dead letter")) };
    },
  );

  app.get(
    "/v1/admin/orders/:id/deliveries",
    {
      onRequest: admin.requireAdmin,
      schema: {
        tags: ["admin"],
        operationId: "listOrderDeliveries",
        summary: "The emails and webhooks caused by one order's events, oldest first",
        security: ADMIN_SECURITY,
        params: AdminResourceParams,
        response: { 200: jsonResponse("The deliveries", DeliveryList), ...problemResponses(401), ...ADMIN_PROBLEMS },
      },
    },
    async (request) => {
      const { deliveries } = await notifications.listDeliveries({ orderId: request.params.id });
      return { items: deliveries.map(toDeliveryDto) };
    },
  );
}
