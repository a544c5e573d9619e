import { invalidArgument, type Clock, type IdGenerator, type Logger } from "@souk/platform";
import type { CatalogStore } from "../domain/catalog-store.ts";
import type { ProductCache } from "../domain/product-cache.ts";
import { DEMO_CATALOG_SEED, MAX_DEMO_PRODUCTS, createDemoFaker, generateDemoCatalog } from "../domain/demo-catalog.ts";
import { assertValidProducts, type Product } from "../domain/product.ts";

/** What seeding did: `seeded` false means the catalog already had products and nothing was written. */
export interface SeedResult {
  readonly seeded: boolean;
  /** Initial stock (units) of every seeded SKU, for inventory; empty when nothing was seeded. */
  readonly stock: readonly { readonly sku: string; readonly quantity: number }[];
}

/** What the seed use case needs besides the store. */
export interface SeedProductsDeps {
  readonly store: CatalogStore;
  /** Invalidated after a seed: a category list cached while the catalog was empty is stale. */
  readonly cache: ProductCache;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly logger: Logger;
  /** Products to generate when the request asks for 0 (CATALOG_SEED_COUNT). */
  readonly defaultCount: number;
}

/**
 * Loads the deterministic demo catalog (seed `DEMO_CATALOG_SEED`) when the catalog has no
 * product: all categories, `count` products (0 → the configured default) with fresh UUIDv7
 * ids, in one transaction. Idempotent: returns `seeded: false` and no stock when products
 * exist, including when a concurrent seed won the race.
 * @throws SoukError invalid_argument CATALOG_INVALID_SEED_COUNT (field `count`) outside 0..100,000.
 */
export function seedProducts(deps: SeedProductsDeps) {
  return async (count: number): Promise<SeedResult> => {
    if (!Number.isInteger(count) || count < 0 || count > MAX_DEMO_PRODUCTS) {
      throw invalidArgument("CATALOG_INVALID_SEED_COUNT", `count must be between 1 and ${MAX_DEMO_PRODUCTS}`, [
        { field: "count", message: `must be 0 (default) or 1..${MAX_DEMO_PRODUCTS}` },
      ]);
    }
    if (await deps.store.hasProducts()) return { seeded: false, stock: [] };
    const startedMs = performance.now();
    const faker = await createDemoFaker(DEMO_CATALOG_SEED);
    const catalog = generateDemoCatalog(faker, count === 0 ? deps.defaultCount : count);
    assertValidProducts(catalog.products);
    const now = deps.clock();
    const products = catalog.products.map((p): Product => ({
      id: deps.newId(),
      sku: p.sku,
      name: p.name,
      description: p.description,
      category: p.category,
      price: p.price,
      images: p.images,
      createdAt: now,
      updatedAt: now,
    }));
    const generatedMs = performance.now();
    if (!(await deps.store.seedIfEmpty(catalog.categories, products))) return { seeded: false, stock: [] };
    await deps.cache.invalidate([]);
    deps.logger.info(
      {
        products: products.length,
        categories: catalog.categories.length,
        generateMs: Math.round(generatedMs - startedMs),
        insertMs: Math.round(performance.now() - generatedMs),
      },
      "seeded the demo catalog",
    );
    return { seeded: true, stock: catalog.products.map((p) => ({ sku: p.sku, quantity: p.initialStock })) };
  };
}
