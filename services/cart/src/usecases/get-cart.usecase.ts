import { requireUserId, type CartPolicy, type PricedCart } from "../domain/cart.ts";
import type { CartStore, ProductCatalog } from "../domain/ports.ts";
import { cartView } from "./cart-view.ts";

/**
 * The user's cart priced at the catalog's current prices; an empty cart (total 0 in the cart's
 * currency) when the user has none or it expired.
 * @throws SoukError invalid_argument CART_INVALID_USER_ID; failed_precondition CART_CURRENCY_MISMATCH.
 */
export function getCart(store: CartStore, catalog: ProductCatalog, policy: CartPolicy) {
  const view = cartView(catalog, policy.currency);
  return async (userId: string): Promise<PricedCart> => view(await store.getItems(requireUserId(userId)));
}
