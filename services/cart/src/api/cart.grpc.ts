import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CartService, type CartSchema } from "@souk/contracts/cart";
import { moneyToProto } from "@souk/platform";
import type { PricedCart } from "../domain/cart.ts";
import type { CartUseCases } from "../index.ts";

function toMessage(cart: PricedCart): MessageInitShape<typeof CartSchema> {
  return {
    lines: cart.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      name: line.name,
      quantity: BigInt(line.quantity),
      unitPrice: moneyToProto(line.unitPrice),
      lineTotal: moneyToProto(line.lineTotal),
    })),
    total: moneyToProto(cart.total),
  };
}

/**
 * gRPC handlers of souk.cart.v1.CartService: decode, call one use case, encode.
 * int64 quantities are converted with `Number`, which is exact for every valid quantity and
 * lands out of range (CART_INVALID_QUANTITY) for the others.
 */
export function cartHandlers(uc: CartUseCases): ServiceImpl<typeof CartService> {
  return {
    async getCart(req) {
      return { cart: toMessage(await uc.getCart(req.userId)) };
    },
    async addItem(req) {
      const cart = await uc.addItem({ userId: req.userId, productId: req.productId, quantity: Number(req.quantity) });
      return { cart: toMessage(cart) };
    },
    async updateItem(req) {
      const cart = await uc.updateItem({
        userId: req.userId,
        productId: req.productId,
        quantity: Number(req.quantity),
      });
      return { cart: toMessage(cart) };
    },
    async removeItem(req) {
      return { cart: toMessage(await uc.removeItem({ userId: req.userId, productId: req.productId })) };
    },
    async clearCart(req) {
      await uc.clearCart(req.userId);
      return {};
    },
  };
}
