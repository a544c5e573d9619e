import { isUuid, notFound, type Clock } from "@souk/platform";
import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import { changeProduct, type Product, type ProductChanges } from "../domain/product.ts";

/**
 * Changes a product's name, description, category, price or images (an admin's edit; not in
 * the public contract yet): writes the database (the product's row locked, the result checked
 * by the product rules), then invalidates the product cache — the product and the category list,
 * whose counts may have moved — so the next read loads the new version. Emits no event yet
 * (ARCHITECTURE's `product.updated` comes with the catalog's outbox).
 * @returns the product as written, `updatedAt` from the clock.
 * @throws SoukError not_found CATALOG_PRODUCT_NOT_FOUND when `id` is not a UUID or names no product;
 *   invalid_argument CATALOG_INVALID_PRODUCT naming every bad field, CATALOG_UNKNOWN_CATEGORY
 *   (field `category`) for a category that does not exist.
 */
export function updateProduct(deps: { store: CatalogStore; cache: ProductCache; clock: Clock }) {
  return async (id: string, changes: ProductChanges): Promise<Product> => {
    const updated = isUuid(id)
      ? await deps.store.updateProduct(id.toLowerCase(), (current) => changeProduct(current, changes, deps.clock()))
      : undefined;
    if (updated === undefined) {
      throw notFound("CATALOG_PRODUCT_NOT_FOUND", isUuid(id) ? `no product ${id}` : "no product with that id");
    }
    await deps.cache.invalidate([updated.id]);
    return updated;
  };
}
