import {
  checkWrittenLine,
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
 * Adds `quantity` units of a product to the user's cart, summing with the line already there.
 * Concurrent adds never lose an increment: the store adds atomically, and the limits are
 * checked on the resulting line within the same atomic write (nothing is written when refused).
 * Stock is read from inventory just before the write.
 * @returns the whole priced cart after the add.
 * @throws SoukError invalid_argument CART_INVALID_USER_ID, CART_INVALID_PRODUCT_ID, CART_INVALID_QUANTITY;
 *   not_found CART_PRODUCT_NOT_FOUND; failed_precondition CART_CURRENCY_MISMATCH, CART_TOO_MANY_LINES,
 *   CART_QUANTITY_LIMIT, CART_INSUFFICIENT_STOCK; the catalog's and inventory's errors.
 */
export function addItem(store: CartStore, catalog: ProductCatalog, stock: StockAvailability, policy: CartPolicy) {
  const view = cartView(catalog, policy.currency);
  return async (request: LineRequest): Promise<PricedCart> => {
    const userId = requireUserId(request.userId);
    const productId = requireProductId(request.productId);
    const quantity = requireQuantity(request.quantity, policy);
    const product = requireProduct(await catalog.getProducts([productId]), productId);
    requireCartCurrency(product, policy.currency);
    const available = (await stock.available([product.sku])).get(product.sku) ?? 0;
    const items = await store.addQuantity(userId, productId, quantity, (written) =>
      checkWrittenLine(written, { sku: product.sku, available }, policy),
    );
    return view(items, [product]);
  };
}
