import type { Static } from "typebox";
import type { Kysely } from "kysely";
import { InventoryService } from "@souk/contracts/inventory";
import { every, type Clock, type Lifecycle, type Logger, type SqlDatabase } from "@souk/platform";
import { inventoryHandlers } from "./api/inventory.grpc.ts";
import type { InventoryConfig } from "./config.ts";
import { createInventoryStore, type InventoryDatabase } from "./store/inventory.store.ts";
import { inventoryMigrations } from "./store/migrations.ts";
import { withStockLevelCache, type StockLevelCacheOptions } from "./store/stock-levels.cache.ts";
import { commitReservation } from "./usecases/commit-reservation.usecase.ts";
import { releaseExpiredReservations } from "./usecases/release-expired-reservations.usecase.ts";
import { releaseReservation } from "./usecases/release-reservation.usecase.ts";
import { reserveStock } from "./usecases/reserve-stock.usecase.ts";
import { restockReservation } from "./usecases/restock-reservation.usecase.ts";
import { getStockLevels, setStockLevels } from "./usecases/stock-levels.usecase.ts";

export { InventoryConfig } from "./config.ts";

/** The schema inventory owns. */
export const INVENTORY_SCHEMA = "inventory";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { inventoryMigrations };

/** What inventory's composition root needs. */
export interface InventoryDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof InventoryConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The use cases, as the transports see them. */
export type InventoryUseCases = ReturnType<typeof createUseCases>;

function createUseCases(db: Kysely<InventoryDatabase>, clock: Clock, levelCache: StockLevelCacheOptions) {
  const store = withStockLevelCache(createInventoryStore(db), levelCache);
  return {
    getStockLevels: getStockLevels(store),
    setStockLevels: setStockLevels(store),
    reserveStock: reserveStock(store, clock),
    commitReservation: commitReservation(store, clock),
    releaseReservation: releaseReservation(store),
    restockReservation: restockReservation(store),
    releaseExpiredReservations: releaseExpiredReservations(store, clock),
  };
}

/**
 * Composition root of the inventory service: migrates its schema, builds store (behind the
 * stock-level cache, see `withStockLevelCache`) → use cases → gRPC handlers, and a sweeper that
 * releases expired holds while started.
 */
export async function createInventoryService(deps: InventoryDeps) {
  await deps.database.migrate(INVENTORY_SCHEMA, inventoryMigrations);
  const useCases = createUseCases(deps.database.forSchema<InventoryDatabase>(INVENTORY_SCHEMA), deps.clock, {
    ttlMs: deps.config.INVENTORY_LEVEL_CACHE_TTL_MS,
    maxEntries: deps.config.INVENTORY_LEVEL_CACHE_MAX_ENTRIES,
  });
  const logger = deps.logger.child({ service: "inventory" });
  const sweeper = every(
    deps.config.INVENTORY_RESERVATION_SWEEP_INTERVAL_MS,
    async () => {
      const released = await useCases.releaseExpiredReservations();
      if (released > 0) logger.info({ released }, "released expired reservations");
    },
    logger,
    "reservation-sweeper",
  );
  const lifecycle: Lifecycle = { start: () => sweeper.start(), stop: () => sweeper.stop() };
  return { service: InventoryService, handlers: inventoryHandlers(useCases), useCases, ...lifecycle };
}
