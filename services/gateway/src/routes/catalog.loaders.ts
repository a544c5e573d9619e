import type { Client } from "@connectrpc/connect";
import type { CatalogService, Product } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import { perTurnLoader } from "@souk/platform";
import { present } from "../mapping/common.mapping.ts";
import { availabilityBySku } from "../mapping/product.mapping.ts";

/** Most SKUs one coalesced GetAvailability call carries. */
const MAX_SKUS_PER_CALL = 500;
/** Most ids one coalesced BatchGetProducts call carries (catalog's own limit, `MAX_BATCH_IDS`). */
const MAX_IDS_PER_CALL = 200;

/**
 * Available units of SKUs, from inventory, for many concurrent requests at once
 * (`perTurnLoader`): every load made during one turn of the event loop — every request whose
 * bytes, or whose rate-limit answer from Redis, arrived in that turn — becomes one
 * GetAvailability call (at most 500 SKUs each), so N product pages served together cost one
 * round trip instead of N. Nothing is kept after the call answers: each request still sees
 * stock as inventory tells it at that moment.
 *
 * Returns `(skus) => Promise<Map<sku, available units>>`; a SKU inventory does not know has 0.
 * @throws whatever the call throws (a ConnectError, e.g. UNAVAILABLE), to every request in the batch.
 */
export function availabilityLoader(
  inventory: Client<typeof InventoryService>,
): (skus: readonly string[]) => Promise<ReadonlyMap<string, number>> {
  const load = perTurnLoader<string, number>(async (skus) => {
    const available = availabilityBySku((await inventory.getAvailability({ skus: [...skus] })).levels);
    return skus.map((sku) => available.get(sku) ?? 0);
  }, MAX_SKUS_PER_CALL);
  return async (skus) => {
    if (skus.length === 0) return new Map();
    const units = await Promise.all(skus.map(load));
    return new Map(skus.map((sku, i) => [sku, units[i] ?? 0]));
  };
}

/**
 * One product from catalog, for many concurrent requests at once: every `load` made during one
 * turn of the event loop becomes one BatchGetProducts call (at most 200 ids each). An id the
 * batch does not return is asked again alone with GetProduct, so an unknown or malformed id gets
 * exactly catalog's own answer (404 CATALOG_PRODUCT_NOT_FOUND) — and only that request does.
 *
 * Returns `(id) => Promise<Product>`.
 * @throws catalog's error for that id, or the batch call's error (e.g. UNAVAILABLE) to every request in it.
 */
export function productLoader(catalog: Client<typeof CatalogService>): (id: string) => Promise<Product> {
  const getOne = async (id: string): Promise<Product> => present((await catalog.getProduct({ id })).product, "product");
  return perTurnLoader<string, Product>(async (ids) => {
    const { products } = await catalog.batchGetProducts({ ids: [...ids] });
    // Catalog answers with its canonical (lower-case) ids.
    const byId = new Map(products.map((p) => [p.id, p]));
    return Promise.all(
      ids.map(async (id) => byId.get(id.toLowerCase()) ?? getOne(id).catch((error: unknown) => toError(error))),
    );
  }, MAX_IDS_PER_CALL);
}

/** A load fails alone when its slot holds an Error instance. */
function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
