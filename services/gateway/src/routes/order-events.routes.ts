import type { Client } from "@connectrpc/connect";
import type { OrdersService } from "@souk/contracts/orders";
import type { HttpServer } from "@souk/platform";
import type { BearerAuth } from "../auth.ts";
import { toOrderDto } from "../mapping/order.mapping.ts";
import type { OrderStatusHub } from "../order-status.hub.ts";
import { BEARER_SECURITY, problemResponses } from "../schemas/common.schemas.ts";
import { OrderParams } from "../schemas/order.schemas.ts";

/** A comment line every 15 s keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** Statuses after which nothing more is pushed. */
const FINAL = new Set(["CANCELLED", "REFUNDED"]);

/**
 * `GET /v1/orders/{id}/events`: live status of one of the caller's orders as Server-Sent Events
 * (WHATWG HTML §9.2). The first event is the order as it is now; then one `order` event per
 * change (placed → confirmed | cancelled, confirmed → refunded), each carrying the whole order
 * and its event type as `id`-less `event: order` with `data: {"order": …, "cause": <CloudEvents type>}`.
 * The stream ends after CANCELLED or REFUNDED, or when the client goes away. 404 for an order
 * that is not the caller's, before any stream starts.
 */
export function orderEventsRoutes(
  app: HttpServer,
  deps: { orders: Client<typeof OrdersService>; auth: BearerAuth; hub: OrderStatusHub },
): void {
  const { auth, hub } = deps;
  app.get(
    "/v1/orders/:id/events",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["orders"],
        operationId: "streamOrderEvents",
        summary: "Live status of one of the caller's orders (Server-Sent Events)",
        security: BEARER_SECURITY,
        params: OrderParams,
        produces: ["text/event-stream"],
        response: {
          200: { description: 'An event stream: `event: order`, `data: {"order": Order, "cause": string}`' },
          ...problemResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const userId = auth.userIdOf(request);
      const orderId = request.params.id;
      // Watch before reading, so no change between the read and the subscription is missed.
      const pending: string[] = [];
      let push: (cause: string) => void = (cause) => pending.push(cause);
      const unwatch = hub.watch(orderId, (cause) => push(cause));
      let first;
      try {
        first = await deps.orders.getOrder({ userId, orderId });
      } catch (error) {
        unwatch();
        throw error;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
      let closed = false;
      let lastStatus = "";
      const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), HEARTBEAT_MS);
      const close = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unwatch();
        raw.end();
      };
      raw.on("close", close);
      const send = (order: typeof first.order, cause: string): void => {
        if (closed) return;
        const dto = toOrderDto(order);
        if (dto.status === lastStatus) return;
        lastStatus = dto.status;
        raw.write(`event: order\ndata: ${JSON.stringify({ order: dto, cause })}\n\n`);
        if (FINAL.has(dto.status)) close();
      };
      let chain = Promise.resolve();
      push = (cause) => {
        // One read at a time, in arrival order; a failed read ends the stream (the client reconnects).
        chain = chain
          .then(async () => {
            if (closed) return;
            const { order } = await deps.orders.getOrder({ userId, orderId });
            send(order, cause);
          })
          .catch((error: unknown) => {
            request.log.warn({ err: error, orderId }, "order stream read failed; closing it");
            close();
          });
      };
      send(first.order, "snapshot");
      for (const cause of pending.splice(0)) push(cause);
    },
  );
}
