import { lineNotFound, requireProductId, requireUserId, type CartPolicy, type PricedCart } from "../domain/cart.ts";
import type { CartStore, ProductCatalog } from "../domain/ports.ts";
import { cartView } from "./cart-view.ts";

/**
 * Deletes a product's line from the user's cart (whether or not the product is still in the catalog).
 * @returns the whole priced cart after the removal.
 * @throws SoukError invalid_argument CART_INVALID_USER_ID, CART_INVALID_PRODUCT_ID;
 *   not_found CART_LINE_NOT_FOUND when the line is not in the cart.
 */
export function removeItem(store: CartStore, catalog: ProductCatalog, policy: CartPolicy) {
  const view = cartView(catalog, policy.currency);
  return async (request: { readonly userId: string; readonly productId: string }): Promise<PricedCart> => {
    const userId = requireUserId(request.userId);
    const productId = requireProductId(request.productId);
    const items = await store.removeItem(userId, productId);
    if (items === undefined) throw lineNotFound(productId);
    return view(items);
  };
}
