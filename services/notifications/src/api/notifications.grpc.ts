import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  DeliveryChannel,
  DeliveryStatus,
  NotificationsService,
  type DeadLetterSchema,
  type DeliverySchema,
  type WebhookEndpointSchema,
} from "@souk/contracts/notifications";
import type { DeadLetterView, Delivery } from "../domain/delivery.ts";
import type { WebhookEndpoint } from "../domain/webhook-endpoint.ts";
import type { NotificationsUseCases } from "../index.ts";

const CHANNEL: Record<Delivery["channel"], DeliveryChannel> = {
  email: DeliveryChannel.EMAIL,
  webhook: DeliveryChannel.WEBHOOK,
};

const STATUS: Record<Delivery["status"], DeliveryStatus> = {
  pending: DeliveryStatus.PENDING,
  sent: DeliveryStatus.SENT,
  dead: DeliveryStatus.DEAD,
};

const ms = (date: Date | null): bigint => BigInt(date?.getTime() ?? 0);

function endpointMessage(e: WebhookEndpoint): MessageInitShape<typeof WebhookEndpointSchema> {
  return { id: e.id, url: e.url, eventTypes: [...e.eventTypes], active: e.active, createdAtMs: ms(e.createdAt) };
}

function deliveryMessage(d: Delivery): MessageInitShape<typeof DeliverySchema> {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    orderId: d.orderId,
    channel: CHANNEL[d.channel],
    endpointId: d.endpointId ?? "",
    status: STATUS[d.status],
    attempts: d.attempts,
    lastError: d.lastError ?? "",
    createdAtMs: ms(d.createdAt),
    sentAtMs: ms(d.sentAt),
  };
}

function deadLetterMessage(d: DeadLetterView): MessageInitShape<typeof DeadLetterSchema> {
  return {
    id: d.id,
    deliveryId: d.deliveryId ?? "",
    queue: d.queue,
    reason: d.reason,
    attempts: d.attempts,
    failedAtMs: ms(d.failedAt),
    replayedAtMs: ms(d.replayedAt),
    delivery: d.delivery === undefined ? undefined : deliveryMessage(d.delivery),
  };
}

/** gRPC handlers of souk.notifications.v1.NotificationsService: decode, call one use case, encode. */
export function notificationsHandlers(uc: NotificationsUseCases): ServiceImpl<typeof NotificationsService> {
  return {
    async createWebhookEndpoint(req) {
      const endpoint = await uc.createWebhookEndpoint(req.url, req.eventTypes);
      return { endpoint: endpointMessage(endpoint), secret: endpoint.secret };
    },
    async listWebhookEndpoints() {
      return { endpoints: (await uc.listWebhookEndpoints()).map(endpointMessage) };
    },
    async deleteWebhookEndpoint(req) {
      return { endpoint: endpointMessage(await uc.deleteWebhookEndpoint(req.id)) };
    },
    async listDeadLetters(req) {
      const page = await uc.listDeadLetters(req.limit, req.cursor);
      return { deadLetters: page.deadLetters.map(deadLetterMessage), nextCursor: page.nextCursor ?? "" };
    },
    async replayDeadLetter(req) {
      return { deadLetter: deadLetterMessage(await uc.replayDeadLetter(req.deadLetterId)) };
    },
    async listDeliveries(req) {
      return { deliveries: (await uc.listDeliveries(req.orderId)).map(deliveryMessage) };
    },
  };
}
