import Type from "typebox";
import type { Client } from "@connectrpc/connect";
import type { OrdersService } from "@souk/contracts/orders";
import type { HttpServer } from "@souk/platform";
import type { BearerAuth } from "../auth.ts";
import { toCheckoutRequest, toOrderDto } from "../mapping/order.mapping.ts";
import { BEARER_SECURITY, problemResponses } from "../schemas/common.schemas.ts";
import { CheckoutBody, CheckoutHeaders, OrderEnvelope } from "../schemas/order.schemas.ts";

/** Documentation of the headers of a checkout answer. */
const CHECKOUT_RESPONSE_HEADERS = {
  location: Type.String({ description: "URL of the order" }),
  "idempotent-replayed": Type.Literal("true", {
    description: "Present when this answer replays an earlier request with the same Idempotency-Key",
  }),
};

/** Extra time a checkout call gets beyond the saga wait, for the order to be written and answered. */
const CHECKOUT_CALL_MARGIN_MS = 5_000;

/**
 * POST /v1/checkout: places an order from the caller's cart through Orders.Checkout, which runs
 * the saga and owns the idempotency (same key + same body → the same order, replayed; same key +
 * another body → 422). Answers 201 once the order is terminal, or 202 with the PENDING order when
 * it is not after `waitMs`.
 */
export function checkoutRoutes(
  app: HttpServer,
  deps: { orders: Client<typeof OrdersService>; auth: BearerAuth; waitMs: number },
): void {
  const { auth, waitMs } = deps;
  app.post(
    "/v1/checkout",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["checkout"],
        operationId: "checkout",
        summary: "Place an order from the cart and pay for it",
        description:
          "Test cards: 4242424242424242 succeeds; 4000000000000002 card_declined; 4000000000009995 " +
          "insufficient_funds; 4100000000000019 fraud; 4000000000000119 processing_error.",
        security: BEARER_SECURITY,
        headers: CheckoutHeaders,
        body: CheckoutBody,
        response: {
          201: {
            description: "The order reached CONFIRMED or CANCELLED (see cancellationReason)",
            headers: CHECKOUT_RESPONSE_HEADERS,
            content: { "application/json": { schema: OrderEnvelope } },
          },
          202: {
            description: "The order is still PENDING: poll GET /v1/orders/{id}",
            headers: CHECKOUT_RESPONSE_HEADERS,
            content: { "application/json": { schema: OrderEnvelope } },
          },
          ...problemResponses(401, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const checkout = toCheckoutRequest(
        auth.userIdOf(request),
        request.headers["idempotency-key"],
        request.body,
        waitMs,
      );
      const { order, replayed } = await deps.orders.checkout(checkout, { timeoutMs: waitMs + CHECKOUT_CALL_MARGIN_MS });
      const dto = toOrderDto(order);
      if (replayed) void reply.header("idempotent-replayed", "true");
      return reply
        .code(dto.status === "PENDING" ? 202 : 201)
        .header("location", `/v1/orders/${encodeURIComponent(dto.id)}`)
        .send({ order: dto });
    },
  );
}
