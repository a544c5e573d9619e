import {
  checkWrittenLine,
  lineNotFound,
  requireCartCurrency,
  requireProduct,
  requireProductId,
  requireQuantity,
  requireUserId,
  type CartPolicy,
  type LineRequest,
  type PricedCart,
} from "../domain/cart.ts";
import type { CartStore, ProductCatalog, StockAvailability } from "../domain/ports.ts";
import { cartView } from "./cart-view.ts";

/**
 * Sets the quantity of a line already in the user's cart (to remove a line, use removeItem:
 * a quantity of 0 is refused). The new quantity must fit the available stock.
 * @returns the whole priced cart after the update.
 * @throws SoukError invalid_argument CART_INVALID_USER_ID, CART_INVALID_PRODUCT_ID, CART_INVALID_QUANTITY;
 *   not_found CART_LINE_NOT_FOUND, CART_PRODUCT_NOT_FOUND (the product left the catalog);
 *   failed_precondition CART_CURRENCY_MISMATCH, CART_INSUFFICIENT_STOCK; the catalog's and inventory's errors.
 */
export function updateItem(store: CartStore, catalog: ProductCatalog, stock: StockAvailability, policy: CartPolicy) {
  const view = cartView(catalog, policy.currency);
  return async (request: LineRequest): Promise<PricedCart> => {
    const userId = requireUserId(request.userId);
    const productId = requireProductId(request.productId);
    const quantity = requireQuantity(request.quantity, policy);
    // Answer "not in your cart" before asking other services about the product.
    if (!(await store.getItems(userId)).some((item) => item.productId === productId)) throw lineNotFound(productId);
    const product = requireProduct(await catalog.getProducts([productId]), productId);
    requireCartCurrency(product, policy.currency);
    const available = (await stock.available([product.sku])).get(product.sku) ?? 0;
    const items = await store.setQuantity(userId, productId, quantity, (written) =>
      checkWrittenLine(written, { sku: product.sku, available }, policy),
    );
    // The line can vanish between the read and the write (a concurrent remove, clear or expiry).
    if (items === undefined) throw lineNotFound(productId);
    return view(items, [product]);
  };
}
