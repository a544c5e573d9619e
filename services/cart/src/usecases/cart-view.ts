import { priceCart, type CartItem, type PricedCart, type Product } from "../domain/cart.ts";
import type { ProductCatalog } from "../domain/ports.ts";

/**
 * Builds the view every cart response returns: the items priced from the catalog's current
 * prices in `currency` (see `priceCart`; lines whose product left the catalog are dropped).
 * Products the caller already holds (`known`) are not fetched again; the rest come in one
 * catalog call, none for an empty cart.
 * @throws SoukError failed_precondition CART_CURRENCY_MISMATCH; the catalog's errors.
 */
export function cartView(catalog: ProductCatalog, currency: string) {
  return async (items: readonly CartItem[], known: readonly Product[] = []): Promise<PricedCart> => {
    const products = new Map(known.map((p) => [p.id.toLowerCase(), p]));
    const missing = items.map((i) => i.productId).filter((id) => !products.has(id));
    for (const product of await catalog.getProducts(missing)) products.set(product.id.toLowerCase(), product);
    return priceCart(items, products, currency);
  };
}
