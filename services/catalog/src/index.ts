import type { ServiceImpl } from "@connectrpc/connect";
import type { Static } from "typebox";
import { CatalogService } from "@souk/contracts/catalog";
import { newId, type Clock, type Lifecycle, type Logger, type SqlDatabase } from "@souk/platform";
import { catalogHandlers } from "./api/catalog.grpc.ts";
import type { CatalogConfig } from "./config.ts";
import type { CatalogStore } from "./domain/catalog-store.ts";
import { createCatalogStore, type CatalogDatabase } from "./store/catalog.store.ts";
import { catalogMigrations } from "./store/migrations.ts";
import { batchGetProducts } from "./usecases/batch-get-products.usecase.ts";
import { getProduct } from "./usecases/get-product.usecase.ts";
import { listCategories } from "./usecases/list-categories.usecase.ts";
import { listProducts } from "./usecases/list-products.usecase.ts";
import { seedProducts } from "./usecases/seed-products.usecase.ts";

export { CatalogConfig } from "./config.ts";

/** The schema catalog owns. */
export const CATALOG_SCHEMA = "catalog";

/** What catalog's composition root needs. */
export interface CatalogDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof CatalogConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The use cases, as the transports see them. */
export type CatalogUseCases = ReturnType<typeof createUseCases>;

function createUseCases(store: CatalogStore, deps: CatalogDeps, logger: Logger) {
  return {
    listProducts: listProducts(store),
    getProduct: getProduct(store),
    batchGetProducts: batchGetProducts(store),
    listCategories: listCategories(store),
    seedProducts: seedProducts({
      store,
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

/**
 * Composition root of the catalog service: migrates its schema, then builds store → use cases →
 * gRPC handlers. Catalog runs no background work, so `start` and `stop` have nothing to do.
 * @throws Error when a migration fails.
 */
export async function createCatalogService(deps: CatalogDeps): Promise<CatalogServiceModule> {
  await deps.database.migrate(CATALOG_SCHEMA, catalogMigrations);
  const logger = deps.logger.child({ service: "catalog" });
  const store = createCatalogStore(deps.database.forSchema<CatalogDatabase>(CATALOG_SCHEMA), {
    schema: CATALOG_SCHEMA,
    typoThreshold: deps.config.CATALOG_SEARCH_TYPO_THRESHOLD,
  });
  const useCases = createUseCases(store, deps, logger);
  const lifecycle: Lifecycle = { start: async () => {}, stop: async () => {} };
  return { service: CatalogService, handlers: catalogHandlers(useCases), useCases, ...lifecycle };
}
