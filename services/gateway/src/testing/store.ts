import { createInProcessEventLog, createInProcessJobQueue, TOPIC_SPECS, type EventLog } from "@souk/messaging";
import { AnalyticsService } from "@souk/contracts/analytics";
import { NotificationsService } from "@souk/contracts/notifications";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { AnalyticsConfig, createAnalyticsService } from "../../../../services/analytics/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createNotificationsService, NotificationsConfig } from "../../../../services/notifications/src/index.ts";
import { CartService } from "@souk/contracts/cart";
import { CatalogService } from "@souk/contracts/catalog";
import { TokensService, UsersService } from "@souk/contracts/identity";
import { InventoryService } from "@souk/contracts/inventory";
import { OrdersService } from "@souk/contracts/orders";
import { PaymentsService } from "@souk/contracts/payments";
import { inProcessClient, loadConfig, type Clock, type Lifecycle, type Metrics } from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { CartConfig, createCartService } from "../../../../services/cart/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { CatalogConfig, createCatalogService } from "../../../../services/catalog/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createIdentityService, IdentityConfig } from "../../../../services/identity/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createInventoryService, InventoryConfig } from "../../../../services/inventory/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createOrdersService, OrdersConfig } from "../../../../services/orders/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createPaymentsService, PaymentsConfig } from "../../../../services/payments/src/index.ts";
import type { GatewayClients } from "../index.ts";

/** What `composeStore` needs. */
export interface StoreOptions {
  /** Clock of catalog, inventory, payments, cart and orders. */
  readonly clock: Clock;
  /**
   * Clock of identity. The gateway checks token expiry against the wall clock, so identity's
   * clock must stay near it; moving it back mints tokens that are already expired.
   */
  readonly identityClock: Clock;
  /** Products the catalog seeds. */
  readonly productCount: number;
  /** PAYMENTS_SIMULATOR_LATENCY_MS: how long every card authorization takes (a slow PSP). */
  readonly paymentsLatencyMs: number;
  /** Counts every service call (as in the embedded store). */
  readonly metrics: Metrics;
}

/** The real services composed in-process, with the seeded catalog's facts the tests rely on. */
export interface TestStore {
  readonly clients: GatewayClients;
  /** The in-process event log the services publish to (through their outboxes; relays not started). */
  readonly eventLog: EventLog;
  /** Stock inventory holds per SKU, as seeded (every seeded SKU but `unstockedSku`). */
  readonly stockBySku: ReadonlyMap<string, number>;
  /** A seeded product's SKU that inventory was never told about: it shows 0 available. */
  readonly unstockedSku: string;
  /** Stops every service (waiting for sagas in flight), then closes the database. */
  stop(): Promise<void>;
}

/**
 * Composes the whole store the way apps/souk's embedded topology does — every real service on
 * one in-memory PGlite (a schema each), calling each other through in-process Connect clients —
 * then seeds the demo catalog and sets inventory's stock from the seed, except for one SKU
 * (`unstockedSku`). Background loops are not started: the tests drive every saga themselves.
 * @throws Error when a migration or the seed fails.
 */
export async function composeStore(options: StoreOptions): Promise<TestStore> {
  const database = await openTestDatabase();
  const logger = testLogger();
  const { clock } = options;
  const eventLog = createInProcessEventLog();
  await eventLog.ensureTopics(TOPIC_SPECS);
  const inventory = await createInventoryService({
    database,
    config: loadConfig(InventoryConfig, {}),
    logger,
    clock,
  });
  const catalog = await createCatalogService({ database, config: loadConfig(CatalogConfig, {}), logger, clock });
  const identity = await createIdentityService({
    database,
    config: loadConfig(IdentityConfig, {}),
    logger,
    clock: options.identityClock,
    eventLog,
  });
  const payments = await createPaymentsService({
    database,
    config: loadConfig(PaymentsConfig, { PAYMENTS_SIMULATOR_LATENCY_MS: String(options.paymentsLatencyMs) }),
    logger,
    clock,
    eventLog,
  });
  const call = { metrics: options.metrics };
  const inventoryClient = inProcessClient(InventoryService, inventory.handlers, call);
  const catalogClient = inProcessClient(CatalogService, catalog.handlers, call);
  const paymentsClient = inProcessClient(PaymentsService, payments.handlers, call);
  const cart = await createCartService({
    database,
    config: loadConfig(CartConfig, {}),
    logger,
    clock,
    catalog: catalogClient,
    inventory: inventoryClient,
  });
  const cartClient = inProcessClient(CartService, cart.handlers, call);
  const orders = await createOrdersService({
    database,
    config: loadConfig(OrdersConfig, {}),
    logger,
    clock,
    cart: cartClient,
    inventory: inventoryClient,
    payments: paymentsClient,
    eventLog,
  });

  const usersClient = inProcessClient(UsersService, identity.users, call);
  const notifications = await createNotificationsService({
    database,
    config: loadConfig(NotificationsConfig, {}),
    logger,
    clock,
    eventLog,
    jobQueue: createInProcessJobQueue(),
    users: usersClient,
  });
  const analytics = await createAnalyticsService({
    database,
    config: loadConfig(AnalyticsConfig, {}),
    logger,
    clock,
    eventLog,
    metrics: options.metrics,
  });

  const seed = await catalogClient.seedProducts({ count: options.productCount });
  const [unstocked, ...stocked] = seed.stock;
  if (unstocked === undefined || stocked.length === 0) throw new Error("the catalog seeded too few products");
  await inventoryClient.setStockLevels({
    entries: stocked.map((s) => ({ sku: s.sku, onHand: s.quantity })),
  });

  const lifecycles: Lifecycle[] = [inventory, catalog, identity, payments, cart, orders];
  return {
    clients: {
      users: inProcessClient(UsersService, identity.users, call),
      tokens: inProcessClient(TokensService, identity.tokens, call),
      catalog: catalogClient,
      inventory: inventoryClient,
      cart: cartClient,
      orders: inProcessClient(OrdersService, orders.handlers, call),
      notifications: inProcessClient(NotificationsService, notifications.handlers, call),
      analytics: inProcessClient(AnalyticsService, analytics.handlers, call),
    },
    eventLog,
    stockBySku: new Map(stocked.map((s) => [s.sku, Number(s.quantity)])),
    unstockedSku: unstocked.sku,
    async stop() {
      for (const service of [...lifecycles].reverse()) await service.stop();
      await database.close();
    },
  };
}
