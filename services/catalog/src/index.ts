import type { ServiceImpl } from "@connectrpc/connect";
import type { Static } from "typebox";
import { CatalogService } from "@souk/contracts/catalog";
import { newId, type Clock, type Lifecycle, type Logger, type Redis, type SqlDatabase } from "@souk/platform";
import { catalogHandlers } from "./api/catalog.grpc.ts";
import {
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_LISTING_CACHE_MAX_ENTRIES,
  DEFAULT_LISTING_CACHE_TTL_SECONDS,
  type CatalogConfig,
} from "./config.ts";
import type { CatalogStore } from "./domain/catalog-store.ts";
import type { ProductCache } from "./domain/product-cache.ts";
import { createCatalogStore, type CatalogDatabase } from "./store/catalog.store.ts";
import { catalogMigrations } from "./store/migrations.ts";
import { createMemoryProductCache } from "./store/product.memory-cache.ts";
import { createRedisProductCache } from "./store/product.redis-cache.ts";
import { batchGetProducts } from "./usecases/batch-get-products.usecase.ts";
import { getProduct } from "./usecases/get-product.usecase.ts";
import { listCategories } from "./usecases/list-categories.usecase.ts";
import { listProducts } from "./usecases/list-products.usecase.ts";
import { seedProducts } from "./usecases/seed-products.usecase.ts";
import { updateProduct } from "./usecases/update-product.usecase.ts";

export { CatalogConfig } from "./config.ts";

/** The schema catalog owns. */
export const CATALOG_SCHEMA = "catalog";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { catalogMigrations };

/**
 * What catalog's composition root needs. With `redis`, the product cache (products, the category
 * list, listing pages) is in Redis (shared by every catalog process: the distributed topology);
 * without it, in this process's memory.
 */
export interface CatalogDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof CatalogConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** A client from `openRedis`; the caller owns it (opens, awaits `waitForRedis`, closes). */
  readonly redis?: Redis;
}

/** The use cases, as the transports see them. */
export type CatalogUseCases = ReturnType<typeof createUseCases>;

function createUseCases(store: CatalogStore, cache: ProductCache, deps: CatalogDeps, logger: Logger) {
  return {
    listProducts: listProducts(store, cache),
    getProduct: getProduct(store, cache),
    batchGetProducts: batchGetProducts(store, cache),
    listCategories: listCategories(store, cache),
    /** Not in the CatalogService contract yet: callable in process (admin tooling, tests). */
    updateProduct: updateProduct({ store, cache, clock: deps.clock }),
    seedProducts: seedProducts({
      store,
      cache,
      clock: deps.clock,
      newId,
      logger,
      defaultCount: deps.config.CATALOG_SEED_COUNT,
    }),
  };
}

/** The composed catalog service: the contract it serves, its handlers and use cases, its lifecycle. */
export interface CatalogServiceModule extends Lifecycle {
  readonly service: typeof CatalogService;
  readonly handlers: ServiceImpl<typeof CatalogService>;
  readonly useCases: CatalogUseCases;
}

/** The product cache of the topology: Redis when given, else in memory. */
function openProductCache(deps: CatalogDeps, logger: Logger): ProductCache {
  const ttlSeconds = deps.config.CATALOG_CACHE_TTL_SECONDS ?? DEFAULT_CACHE_TTL_SECONDS;
  const listingTtlSeconds = deps.config.CATALOG_LISTING_CACHE_TTL_SECONDS ?? DEFAULT_LISTING_CACHE_TTL_SECONDS;
  if (deps.redis !== undefined) return createRedisProductCache(deps.redis, { ttlSeconds, listingTtlSeconds, logger });
  return createMemoryProductCache({
    maxEntries: deps.config.CATALOG_CACHE_MAX_ENTRIES ?? DEFAULT_CACHE_MAX_ENTRIES,
    ttlSeconds,
    listingMaxEntries: deps.config.CATALOG_LISTING_CACHE_MAX_ENTRIES ?? DEFAULT_LISTING_CACHE_MAX_ENTRIES,
    listingTtlSeconds,
    clock: deps.clock,
  });
}

/**
 * Composition root of the catalog service: migrates its schema, then builds store and product
 * cache → use cases → gRPC handlers. Catalog runs no background work, so `start` and `stop`
 * have nothing to do.
 * @throws Error when a migration fails.
 */
export async function createCatalogService(deps: CatalogDeps): Promise<CatalogServiceModule> {
  await deps.database.migrate(CATALOG_SCHEMA, catalogMigrations);
  const logger = deps.logger.child({ service: "catalog" });
  const store = createCatalogStore(deps.database.forSchema<CatalogDatabase>(CATALOG_SCHEMA), {
    schema: CATALOG_SCHEMA,
    typoThreshold: deps.config.CATALOG_SEARCH_TYPO_THRESHOLD,
  });
  const useCases = createUseCases(store, openProductCache(deps, logger), deps, logger);
  const lifecycle: Lifecycle = { start: async () => {}, stop: async () => {} };
  return { service: CatalogService, handlers: catalogHandlers(useCases), useCases, ...lifecycle };
}
