import { isUuid, notFound } from "@souk/platform";
import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import type { Product } from "../domain/product.ts";
import { cachedProducts } from "./cached-products.ts";

/**
 * The product with `id`, from the product cache when it holds it (cache-aside, see `cachedProducts`).
 * @throws SoukError not_found CATALOG_PRODUCT_NOT_FOUND when `id` is not a UUID or no product has it
 * (a malformed id is reported like an unknown one: both name nothing that exists).
 */
export function getProduct(store: CatalogStore, cache: ProductCache) {
  const read = cachedProducts(store, cache);
  return async (id: string): Promise<Product> => {
    const [product] = isUuid(id) ? await read([id.toLowerCase()]) : [];
    if (product === undefined) {
      // Echo the id only when it is a UUID: arbitrary input does not belong in error messages.
      throw notFound("CATALOG_PRODUCT_NOT_FOUND", isUuid(id) ? `no product ${id}` : "no product with that id");
    }
    return product;
  };
}
