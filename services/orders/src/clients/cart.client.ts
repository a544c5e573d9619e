import type { Client } from "@connectrpc/connect";
import type { CartService } from "@souk/contracts/cart";
import { fromConnectError, int64ToNumber, moneyFromProto } from "@souk/platform";
import type { CartPort } from "../domain/ports.ts";
import { outcomeOf } from "./step-outcome.ts";

/** Checkout's CartPort over cart's Connect client. */
export function cartPort(cart: Client<typeof CartService>): CartPort {
  return {
    async lines(userId) {
      try {
        const response = await cart.getCart({ userId });
        return (response.cart?.lines ?? []).map((l) => ({
          productId: l.productId,
          sku: l.sku,
          name: l.name,
          quantity: int64ToNumber(l.quantity),
          unitPrice: moneyFromProto(l.unitPrice),
          lineTotal: moneyFromProto(l.lineTotal),
        }));
      } catch (error) {
        throw fromConnectError(error);
      }
    },
    clear: (userId) => outcomeOf(() => cart.clearCart({ userId })),
  };
}
