import type { Client } from "@connectrpc/connect";
import type { CartService } from "@souk/contracts/cart";
import type { HttpServer } from "@souk/platform";
import type { BearerAuth } from "../auth.ts";
import { toCartDto } from "../mapping/cart.mapping.ts";
import { AddCartItemBody, CartDto, CartItemParams, UpdateCartItemBody } from "../schemas/cart.schemas.ts";
import { BEARER_SECURITY, jsonResponse, problemResponses } from "../schemas/common.schemas.ts";

/**
 * The caller's cart (bearer token required; the cart is the token subject's, never another's):
 * GET /v1/cart, POST /v1/cart/items, PUT and DELETE /v1/cart/items/{productId}. Each answers the
 * whole cart, priced by the cart service.
 */
export function cartRoutes(app: HttpServer, deps: { cart: Client<typeof CartService>; auth: BearerAuth }): void {
  const { auth } = deps;
  const cartResponse = { 200: jsonResponse("The cart", CartDto) };

  app.get(
    "/v1/cart",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["cart"],
        operationId: "getCart",
        summary: "The caller's cart",
        security: BEARER_SECURITY,
        response: { ...cartResponse, ...problemResponses(401) },
      },
    },
    async (request) => toCartDto((await deps.cart.getCart({ userId: auth.userIdOf(request) })).cart),
  );

  app.post(
    "/v1/cart/items",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["cart"],
        operationId: "addCartItem",
        summary: "Add units of a product (summed with an existing line)",
        security: BEARER_SECURITY,
        body: AddCartItemBody,
        response: { ...cartResponse, ...problemResponses(401, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { productId, quantity } = request.body;
      const { cart } = await deps.cart.addItem({
        userId: auth.userIdOf(request),
        productId,
        quantity: BigInt(quantity),
      });
      return toCartDto(cart);
    },
  );

  app.put(
    "/v1/cart/items/:productId",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["cart"],
        operationId: "updateCartItem",
        summary: "Set the quantity of a cart line",
        security: BEARER_SECURITY,
        params: CartItemParams,
        body: UpdateCartItemBody,
        response: { ...cartResponse, ...problemResponses(401, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { productId } = request.params;
      const quantity = BigInt(request.body.quantity);
      return toCartDto((await deps.cart.updateItem({ userId: auth.userIdOf(request), productId, quantity })).cart);
    },
  );

  app.delete(
    "/v1/cart/items/:productId",
    {
      onRequest: auth.requireUser,
      schema: {
        tags: ["cart"],
        operationId: "removeCartItem",
        summary: "Remove a cart line",
        security: BEARER_SECURITY,
        params: CartItemParams,
        response: { ...cartResponse, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const { productId } = request.params;
      return toCartDto((await deps.cart.removeItem({ userId: auth.userIdOf(request), productId })).cart);
    },
  );
}
