import type { Client } from "@connectrpc/connect";
import type { Static } from "typebox";
import { CartService } from "@souk/contracts/cart";
import type { CatalogService } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import { every, type Clock, type Lifecycle, type Logger, type Redis, type SqlDatabase } from "@souk/platform";
import { cartHandlers } from "./api/cart.grpc.ts";
import { catalogProducts } from "./clients/catalog.client.ts";
import { inventoryAvailability } from "./clients/inventory.client.ts";
import type { CartConfig } from "./config.ts";
import type { CartPolicy } from "./domain/cart.ts";
import type { CartStore, ProductCatalog, StockAvailability } from "./domain/ports.ts";
import { createRedisCartStore } from "./store/cart.redis-store.ts";
import { createCartStore, type CartDatabase } from "./store/cart.store.ts";
import { cartMigrations } from "./store/migrations.ts";
import { addItem } from "./usecases/add-item.usecase.ts";
import { clearCart } from "./usecases/clear-cart.usecase.ts";
import { getCart } from "./usecases/get-cart.usecase.ts";
import { purgeExpiredCarts } from "./usecases/purge-expired-carts.usecase.ts";
import { removeItem } from "./usecases/remove-item.usecase.ts";
import { updateItem } from "./usecases/update-item.usecase.ts";

export { CartConfig } from "./config.ts";

/** The schema cart owns. */
export const CART_SCHEMA = "cart";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { cartMigrations };

/** How often expired carts' rows are reclaimed (reads ignore them regardless). */
const EXPIRED_CART_SWEEP_INTERVAL_MS = 60_000;

/**
 * What cart's composition root needs: its store, config, and clients of catalog and inventory.
 * Carts live in Redis when `redis` is given (the distributed topology: native TTL, no sweeper),
 * otherwise in `database` (the embedded topology: PostgreSQL/PGlite with an expiry sweeper).
 */
export interface CartDeps {
  /** Cart's PostgreSQL; not touched when `redis` is given. */
  readonly database: SqlDatabase;
  /** A client from `openRedis`; the caller owns it (opens, awaits `waitForRedis`, closes). */
  readonly redis?: Redis;
  readonly config: Static<typeof CartConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly catalog: Client<typeof CatalogService>;
  readonly inventory: Client<typeof InventoryService>;
}

/** The use cases, as the transports see them. */
export type CartUseCases = ReturnType<typeof createUseCases>;

function createUseCases(store: CartStore, catalog: ProductCatalog, stock: StockAvailability, policy: CartPolicy) {
  return {
    getCart: getCart(store, catalog, policy),
    addItem: addItem(store, catalog, stock, policy),
    updateItem: updateItem(store, catalog, stock, policy),
    removeItem: removeItem(store, catalog, policy),
    clearCart: clearCart(store),
    purgeExpiredCarts: purgeExpiredCarts(store),
  };
}

/** The cart store of the topology: Redis when given, else PostgreSQL (migrated here). */
async function openCartStore(deps: CartDeps): Promise<CartStore> {
  const options = { ttlSeconds: deps.config.CART_TTL_SECONDS, clock: deps.clock };
  if (deps.redis !== undefined) return createRedisCartStore(deps.redis, options);
  await deps.database.migrate(CART_SCHEMA, cartMigrations);
  return createCartStore(deps.database.forSchema<CartDatabase>(CART_SCHEMA), options);
}

/**
 * Composition root of the cart service: opens its store (Redis, or PostgreSQL after migrating
 * its schema), builds use cases → gRPC handlers over the catalog (prices) and inventory (stock)
 * clients, and — on PostgreSQL — a sweeper that reclaims expired carts while started (Redis
 * expires keys itself).
 */
export async function createCartService(deps: CartDeps) {
  const store = await openCartStore(deps);
  const policy: CartPolicy = {
    currency: deps.config.CART_CURRENCY,
    maxLines: deps.config.CART_MAX_LINES,
    maxQuantityPerLine: deps.config.CART_MAX_QUANTITY_PER_LINE,
  };
  const useCases = createUseCases(store, catalogProducts(deps.catalog), inventoryAvailability(deps.inventory), policy);
  const logger = deps.logger.child({ service: "cart" });
  const sweeper = every(
    EXPIRED_CART_SWEEP_INTERVAL_MS,
    async () => {
      const purged = await useCases.purgeExpiredCarts();
      if (purged > 0) logger.info({ purged }, "purged expired carts");
    },
    logger,
    "expired-cart-sweeper",
  );
  const lifecycle: Lifecycle =
    deps.redis === undefined
      ? { start: () => sweeper.start(), stop: () => sweeper.stop() }
      : { start: async () => {}, stop: async () => {} };
  return { service: CartService, handlers: cartHandlers(useCases), useCases, ...lifecycle };
}
