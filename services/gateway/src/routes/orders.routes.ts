import type { Client } from "@connectrpc/connect";
import type { OrdersService } from "@souk/contracts/orders";
import type { HttpServer } from "@souk/platform";
import type { BearerAuth } from "../auth.ts";
import { toOrderDto, toOrderPage } from "../mapping/order.mapping.ts";
import { BEARER_SECURITY, jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import { OrderEnvelope, OrderListQuery, OrderPage, OrderParams } from "../schemas/order.schemas.ts";

/**
 * The caller's orders (bearer token required; another user's order is a 404, never a 403):
 * GET /v1/orders, GET /v1/orders/{id}, POST /v1/orders/{id}/cancel (refund + restock → REFUNDED).
 */
export function orderRoutes(app: HttpServer, deps: { orders: Client<typeof OrdersService>; auth: BearerAuth }): void {
  const { auth } = deps;

  app.get(
    "/v1/orders",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["orders"],
        operationId: "listOrders",
        summary: "The caller's orders, newest first",
        security: BEARER_SECURITY,
        querystring: OrderListQuery,
        response: { 200: jsonResponse("A page of orders", OrderPage), ...problemResponses(401) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await deps.orders.listOrders({ userId: auth.userIdOf(request), limit, cursor });
      return toOrderPage(page.orders, page.nextCursor);
    },
  );

  app.get(
    "/v1/orders/:id",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["orders"],
        operationId: "getOrder",
        summary: "One of the caller's orders",
        security: BEARER_SECURITY,
        params: OrderParams,
        response: { 200: jsonResponse("The order", OrderEnvelope), ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const { order } = await deps.orders.getOrder({ userId: auth.userIdOf(request), orderId: request.params.id });
      return { order: toOrderDto(order) };
    },
  );

  app.post(
    "/v1/orders/:id/cancel",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["orders"],
        operationId: "cancelOrder",
        summary: "Cancel a confirmed order: refund the payment and restock (ends REFUNDED)",
        security: BEARER_SECURITY,
        params: OrderParams,
        response: { 200: jsonResponse("The refunded order", OrderEnvelope), ...problemResponses(401, 404, 409) },
      },
    },
    async (request) => {
      const { order } = await deps.orders.cancelOrder({ userId: auth.userIdOf(request), orderId: request.params.id });
      return { order: toOrderDto(order) };
    },
  );
}
