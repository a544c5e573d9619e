import { CartService } from "@souk/contracts/cart";
import { CatalogService } from "@souk/contracts/catalog";
import { TokensService, UsersService } from "@souk/contracts/identity";
import { InventoryService } from "@souk/contracts/inventory";
import { OrdersService } from "@souk/contracts/orders";
import { PaymentsService } from "@souk/contracts/payments";
import {
  createLogger,
  createMetrics,
  initTracing,
  isEmptyDataDir,
  shutdownTracing,
  inProcessClient,
  loadConfig,
  openDatabase,
  systemClock,
  vacuumRotation,
  type Logger,
} from "@souk/platform";
import { createInProcessEventLog, createInProcessJobQueue, TOPIC_SPECS } from "@souk/messaging";
import { AnalyticsService } from "@souk/contracts/analytics";
import { NotificationsService } from "@souk/contracts/notifications";
import { createAnalyticsService } from "@souk/analytics";
import { createNotificationsService } from "@souk/notifications";
import { createCartService } from "@souk/cart";
import { createCatalogService } from "@souk/catalog";
import { createGateway } from "@souk/gateway";
import { createIdentityService } from "@souk/identity";
import { createInventoryService } from "@souk/inventory";
import { createOrdersService } from "@souk/orders";
import { createPaymentsService } from "@souk/payments";
import { EmbeddedConfig } from "./config.ts";
import { ensureStoreTemplate, seedDemoStore } from "./store-template.ts";

/** Options of `startEmbedded`; anything unset comes from the environment, then defaults. */
export interface EmbeddedOptions {
  /** Overrides `PORT` (0 = any free port). */
  readonly port?: number;
  /** Overrides `SOUK_DATA_DIR` (`memory://` for a throwaway store). */
  readonly dataDir?: string;
  /** Environment to read instead of `process.env` (merged over it). */
  readonly env?: Record<string, string | undefined>;
  /** Overrides `CATALOG_SEED_COUNT`: products generated on first start. */
  readonly seedCount?: number;
  /** Logger to use instead of one built from `LOG_LEVEL`. */
  readonly logger?: Logger;
}

/** A running embedded store. */
export interface EmbeddedSouk {
  /** Where the public API answers, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /** Stops accepting, finishes requests and sagas in flight, closes PGlite cleanly. Idempotent. */
  stop(): Promise<void>;
}

/**
 * How long the embedded store's inventory serves a stock level from memory, in ms, unless
 * `INVENTORY_LEVEL_CACHE_TTL_MS` is set (the services' default is 2 s). That TTL bounds only
 * writes made outside the inventory process — another replica, SQL by hand (`withStockLevelCache`);
 * every write through inventory drops what it touched at once, the reservation sweeper's too.
 * Here there is one inventory, and PGlite's data directory is this process's alone, so no such
 * write exists; the TTL stays finite as a backstop. Measured: product-page saturation in the
 * bench's product scenario (1,000 pages at random), four alternating runs each, 3,576–4,270/s
 * with 2 s against 4,396–5,434/s with 60 s — a level re-read per page every 2 s was ~13 % of
 * the store's CPU (PGlite reads).
 */
export const EMBEDDED_LEVEL_CACHE_TTL_MS = 60_000;

/**
 * The embedded topology's defaults on top of `env` (a copy; a variable already set wins):
 * - `ANALYTICS_REBUILD_ENABLED=false`: the in-process event log lives in memory, so a replay
 *   would see only this run's events;
 * - `INVENTORY_LEVEL_CACHE_TTL_MS` = `EMBEDDED_LEVEL_CACHE_TTL_MS`: inventory is the only writer.
 */
export function embeddedEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    ...env,
    ANALYTICS_REBUILD_ENABLED: env["ANALYTICS_REBUILD_ENABLED"] ?? "false",
    INVENTORY_LEVEL_CACHE_TTL_MS: env["INVENTORY_LEVEL_CACHE_TTL_MS"] ?? String(EMBEDDED_LEVEL_CACHE_TTL_MS),
  };
}

/**
 * Starts the whole store in this process — the embedded topology of ARCHITECTURE.md: every
 * service module on one PGlite database (a schema each), calling each other in-process through
 * their Connect service definitions (no network, no serialization), the REST gateway in front.
 * Opens the data directory — an empty one starts as a copy of the store template, migrated and
 * seeded (`ensureStoreTemplate`, built on this machine's first such start) — migrates and seeds
 * the demo catalog and its stock where that is still needed (`memory://`), starts background loops
 * (saga recovery, reservation sweeper) and listens.
 *
 * @throws ConfigError naming every bad environment variable; errors from migrations or listen.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedSouk> {
  const started = performance.now();
  const env = embeddedEnvironment({ ...process.env, ...options.env });
  if (options.port !== undefined) env["PORT"] = String(options.port);
  if (options.dataDir !== undefined) env["SOUK_DATA_DIR"] = options.dataDir;
  if (options.seedCount !== undefined) env["CATALOG_SEED_COUNT"] = String(options.seedCount);
  const config = loadConfig(EmbeddedConfig, env);
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const metrics = createMetrics();
  const clock = systemClock;
  let ready = false;

  initTracing({ serviceName: "souk", otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  // An empty data directory on disk starts as a copy of the store template (migrated and seeded).
  const templateDir = isEmptyDataDir(config.SOUK_DATA_DIR)
    ? await ensureStoreTemplate({
        directory: config.SOUK_TEMPLATE_DIR,
        seedCount: config.CATALOG_SEED_COUNT,
        config,
        logger,
      })
    : undefined;
  const database = await openDatabase({
    dataDir: config.SOUK_DATA_DIR,
    ...(templateDir === undefined ? {} : { templateDir }),
  });
  // The embedded twins of Kafka and RabbitMQ: in memory, so the outbox (in PGlite) is what
  // survives a restart; relays republish whatever was not yet handed over.
  const eventLog = createInProcessEventLog({ logger });
  await eventLog.ensureTopics(TOPIC_SPECS);
  const deps = { database, config, logger, clock, eventLog };
  const inventory = await createInventoryService(deps);
  const catalog = await createCatalogService(deps);
  const identity = await createIdentityService({ ...deps, metrics });
  const payments = await createPaymentsService(deps);
  const call = { metrics };
  const clients = {
    inventory: inProcessClient(InventoryService, inventory.handlers, call),
    catalog: inProcessClient(CatalogService, catalog.handlers, call),
    users: inProcessClient(UsersService, identity.users, call),
    tokens: inProcessClient(TokensService, identity.tokens, call),
    payments: inProcessClient(PaymentsService, payments.handlers, call),
  };
  const cart = await createCartService({ ...deps, catalog: clients.catalog, inventory: clients.inventory });
  const cartClient = inProcessClient(CartService, cart.handlers, call);
  const orders = await createOrdersService({
    ...deps,
    cart: cartClient,
    inventory: clients.inventory,
    payments: clients.payments,
  });
  const ordersClient = inProcessClient(OrdersService, orders.handlers, call);
  const jobQueue = createInProcessJobQueue({ logger });
  const notifications = await createNotificationsService({ ...deps, jobQueue, users: clients.users });
  const analytics = await createAnalyticsService({ ...deps, metrics });

  // A store copied from the template has its catalog already; `memory://` seeds here.
  await seedDemoStore(clients, config.CATALOG_SEED_COUNT, logger);

  const { app } = await createGateway({
    config,
    logger,
    metrics,
    isReady: () => ready,
    clients: {
      ...clients,
      cart: cartClient,
      orders: ordersClient,
      notifications: inProcessClient(NotificationsService, notifications.handlers, call),
      analytics: inProcessClient(AnalyticsService, analytics.handlers, call),
    },
    eventLog,
  });
  // PGlite has no autovacuum (see vacuumRotation); the store does its work, a table at a time.
  const vacuum =
    config.SOUK_VACUUM_INTERVAL_MS > 0 ? [vacuumRotation(database, config.SOUK_VACUUM_INTERVAL_MS, logger)] : [];
  const lifecycles = [inventory, catalog, identity, payments, cart, orders, notifications, analytics, ...vacuum];
  for (const service of lifecycles) await service.start();
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.PORT;
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  const baseUrl = `http://${host}:${port}`;
  ready = true;
  const startupMs = Math.round(performance.now() - started);

  let stopping: Promise<void> | undefined;
  return {
    baseUrl,
    startupMs,
    stop() {
      stopping ??= (async () => {
        ready = false;
        await app.close();
        for (const service of [...lifecycles].reverse()) await service.stop();
        await jobQueue.close();
        await eventLog.close();
        await database.close();
        await shutdownTracing();
      })();
      return stopping;
    },
  };
}
