import { requireUserId } from "../domain/cart.ts";
import type { CartStore } from "../domain/ports.ts";

/**
 * Empties the user's cart (after checkout, or on request). Idempotent: a no-op without a cart.
 * @throws SoukError invalid_argument CART_INVALID_USER_ID.
 */
export function clearCart(store: CartStore) {
  return async (userId: string): Promise<void> => {
    await store.clear(requireUserId(userId));
  };
}
