import { setTimeout as delay } from "node:timers/promises";
import type { Client } from "@connectrpc/connect";
import { CartService } from "@souk/contracts/cart";
import { CatalogService } from "@souk/contracts/catalog";
import { TokensService, UsersService } from "@souk/contracts/identity";
import { InventoryService } from "@souk/contracts/inventory";
import { OrdersService } from "@souk/contracts/orders";
import { PaymentsService } from "@souk/contracts/payments";
import {
  createLogger,
  createHttpServer,
  isDatabaseUnreachable,
  createMetrics,
  type Metrics,
  initTracing,
  shutdownTracing,
  fromConnectError,
  loadConfig,
  openDatabase,
  openRedis,
  closeRedis,
  type Redis,
  systemClock,
  type Lifecycle,
  type Logger,
  type SqlDatabase,
} from "@souk/platform";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { resilientEventLog, resilientJobQueue, TOPIC_SPECS, type EventLog } from "@souk/messaging";
import { AnalyticsService } from "@souk/contracts/analytics";
import { NotificationsService } from "@souk/contracts/notifications";
import {
  databaseUrlOf,
  DistributedConfig,
  grpcPortOf,
  metricsPortOf,
  type ProcessName,
  type ServiceName,
} from "./config.ts";
import { serveGrpc, type GrpcServiceBinding } from "@souk/platform/grpc";
import { createUpstreamClients, type UpstreamClients } from "./upstream.clients.ts";

/** Options of `startService`; anything unset comes from the environment, then defaults. */
export interface StartServiceOptions {
  /** Environment to read instead of `process.env` (merged over it). */
  readonly env?: Record<string, string | undefined>;
  /** Logger to use instead of one built from `LOG_LEVEL` (each line still gets `service`). */
  readonly logger?: Logger;
}

/** A running process of the distributed topology. */
export interface RunningService {
  readonly name: ProcessName;
  /** Where it answers: `http://host:port` — gRPC (h2c) for a service, the REST API for the gateway. */
  readonly url: string;
  readonly port: number;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /**
   * Drains and stops: readiness and gRPC health turn NOT_SERVING, the server stops accepting and
   * finishes calls in flight (bounded), background loops stop, connections and the pool close.
   * Idempotent.
   */
  stop(): Promise<void>;
}

/** A composed service: what it serves over gRPC and its background work. */
interface ComposedService {
  readonly bindings: GrpcServiceBinding[];
  readonly lifecycle: Lifecycle;
}

interface ServiceDeps {
  /** The process's metrics registry (served on its HTTP metrics port). */
  readonly metrics: Metrics;
  readonly database: SqlDatabase;
  /** Redis, for the services that keep state or caches in it (cart, catalog, payments). */
  readonly redis: Redis | undefined;
  readonly config: DistributedConfig;
  readonly logger: Logger;
  readonly clock: typeof systemClock;
  /**
   * Kafka: where the service's outbox relay publishes and its consumers read. A service outside
   * `USES_EVENT_LOG` gets `absentEventLog` and never loads the Kafka client.
   */
  readonly eventLog: EventLog;
}

/**
 * Builds one service module with gRPC clients of its upstreams (the modules are unchanged from
 * embedded). Each module is imported here, on demand, so a process loads only the service it runs
 * (and only notifications loads the RabbitMQ client).
 */
async function composeService(
  name: ServiceName,
  deps: ServiceDeps,
  clients: UpstreamClients,
): Promise<ComposedService> {
  switch (name) {
    case "identity": {
      const { createIdentityService } = await import("@souk/identity");
      const identity = await createIdentityService(deps);
      return {
        bindings: [
          { service: UsersService, handlers: identity.users },
          { service: TokensService, handlers: identity.tokens },
        ],
        lifecycle: identity,
      };
    }
    case "catalog": {
      const { createCatalogService } = await import("@souk/catalog");
      const catalog = await createCatalogService(deps);
      return { bindings: [{ service: CatalogService, handlers: catalog.handlers }], lifecycle: catalog };
    }
    case "inventory": {
      const { createInventoryService } = await import("@souk/inventory");
      const inventory = await createInventoryService(deps);
      return { bindings: [{ service: InventoryService, handlers: inventory.handlers }], lifecycle: inventory };
    }
    case "payments": {
      const { createPaymentsService } = await import("@souk/payments");
      const payments = await createPaymentsService(deps);
      return { bindings: [{ service: PaymentsService, handlers: payments.handlers }], lifecycle: payments };
    }
    case "cart": {
      const { createCartService } = await import("@souk/cart");
      const cart = await createCartService({ ...deps, catalog: clients.catalog(), inventory: clients.inventory() });
      return { bindings: [{ service: CartService, handlers: cart.handlers }], lifecycle: cart };
    }
    case "orders": {
      const { createOrdersService } = await import("@souk/orders");
      const orders = await createOrdersService({
        ...deps,
        cart: clients.cart(),
        inventory: clients.inventory(),
        payments: clients.payments(),
      });
      return { bindings: [{ service: OrdersService, handlers: orders.handlers }], lifecycle: orders };
    }
    case "notifications": {
      const { createNotificationsService } = await import("@souk/notifications");
      const { createRabbitMqJobQueue } = await import("@souk/messaging/rabbitmq");
      const jobQueue = resilientJobQueue(
        createRabbitMqJobQueue({ url: deps.config.RABBITMQ_URL, logger: deps.logger }),
        deps.logger,
      );
      const notifications = await createNotificationsService({ ...deps, jobQueue, users: clients.users() });
      return {
        bindings: [{ service: NotificationsService, handlers: notifications.handlers }],
        lifecycle: {
          start: () => notifications.start(),
          async stop() {
            await notifications.stop();
            await jobQueue.close();
          },
        },
      };
    }
    case "analytics": {
      const { createAnalyticsService } = await import("@souk/analytics");
      const analytics = await createAnalyticsService(deps);
      return { bindings: [{ service: AnalyticsService, handlers: analytics.handlers }], lifecycle: analytics };
    }
  }
}

/**
 * This process's Kafka event log (one connection pool, created lazily by the adapter; topics
 * ensured at start). The Kafka client is imported here, on demand: it costs a process tens of MB.
 */
async function openEventLog(name: ProcessName, config: DistributedConfig, logger: Logger): Promise<EventLog> {
  const { createKafkaEventLog } = await import("@souk/messaging/kafka");
  // Resilient: a process (re)started while Kafka is down still starts and serves; its topics
  // and consumer groups are set up in the background once Kafka answers.
  return resilientEventLog(
    createKafkaEventLog({
      brokers: config.KAFKA_BROKERS.split(","),
      clientId: `souk-${name}-${process.pid}`,
      logger,
      ...(config.SOUK_INSTANCE_ID === undefined ? {} : { instanceId: config.SOUK_INSTANCE_ID }),
    }),
    logger,
  );
}

/** Runs `call` until it succeeds, retrying while its upstream is unavailable, for at most `waitMs`. */
async function whenAvailable<T>(call: () => Promise<T>, waitMs: number, logger: Logger, what: string): Promise<T> {
  const deadline = performance.now() + waitMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (fromConnectError(error).kind !== "unavailable" || performance.now() > deadline) throw error;
      if (attempt === 1) logger.info({ waitMs }, `waiting for ${what}`);
      await delay(500);
    }
  }
}

/**
 * Seeds the demo catalog and its stock when the catalog is empty, as the embedded launcher does
 * (catalog decides, atomically, whether to seed; its answer lists each SKU's initial stock).
 */
async function seedDemoCatalog(
  clients: { catalog: Client<typeof CatalogService>; inventory: Client<typeof InventoryService> },
  config: DistributedConfig,
  logger: Logger,
): Promise<void> {
  const seed = await whenAvailable(
    () => clients.catalog.seedProducts({ count: config.CATALOG_SEED_COUNT }, { timeoutMs: 120_000 }),
    config.SOUK_UPSTREAM_WAIT_MS,
    logger,
    "the catalog service",
  );
  if (!seed.seeded) return;
  const entries = seed.stock.map((s) => ({ sku: s.sku, onHand: s.quantity }));
  await whenAvailable(
    () => clients.inventory.setStockLevels({ entries }, { timeoutMs: 60_000 }),
    config.SOUK_UPSTREAM_WAIT_MS,
    logger,
    "the inventory service",
  );
  logger.info({ products: entries.length }, "seeded the demo catalog and its stock");
}

function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

/** Services that publish (outbox) or consume events; the others never touch Kafka. */
const USES_EVENT_LOG: ReadonlySet<ServiceName> = new Set([
  "identity",
  "payments",
  "orders",
  "notifications",
  "analytics",
]);

/**
 * The event log of a service outside `USES_EVENT_LOG`: it neither publishes nor consumes, so any
 * use is a wiring mistake and rejects, naming the set to add the service to. Closing is a no-op.
 */
function absentEventLog(name: ServiceName): EventLog {
  const refuse = async (): Promise<never> => {
    throw new Error(`${name} has no event log: add it to USES_EVENT_LOG in service.process.ts`);
  };
  return { ensureTopics: refuse, publish: refuse, subscribe: refuse, close: async () => {} };
}

/** Services whose distributed twins live in Redis: cart's store, catalog's cache, payments' velocity counter. */
const USES_REDIS: ReadonlySet<ServiceName> = new Set(["cart", "catalog", "payments"]);

async function startGrpcService(
  name: ServiceName,
  config: DistributedConfig,
  root: Logger,
  started: number,
): Promise<RunningService> {
  const logger = root.child({ service: name });
  const metrics = createMetrics();
  let ready = false;
  const databaseUrl = databaseUrlOf(name, config);
  let database: SqlDatabase;
  try {
    // PostgreSQL restarting (or not up yet) is waited for, up to SOUK_UPSTREAM_WAIT_MS, rather
    // than crash-looping: each failed start costs a whole process start-up on a small machine.
    database = await retry(handleWhen(isDatabaseUnreachable), {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 2_000 }),
    }).execute(
      () =>
        openDatabase({
          url: databaseUrl,
          maxConnections: config.DATABASE_MAX_CONNECTIONS,
          onIdleError: (error) =>
            logger.warn({ err: error }, "a pooled database connection failed; the pool replaces it"),
        }),
      AbortSignal.timeout(config.SOUK_UPSTREAM_WAIT_MS),
    );
  } catch (error) {
    const where = databaseUrl.replace(/\/\/[^@/]*@/, "//");
    throw new Error(`${name}: cannot open its database at ${where} (is PostgreSQL up? \`npm run services start\`)`, {
      cause: error,
    });
  }
  const clients = createUpstreamClients(config);
  const eventLog = USES_EVENT_LOG.has(name) ? await openEventLog(name, config, logger) : absentEventLog(name);
  // Not awaited to be up: cart answers "unavailable" and catalog reads the database until it is.
  const redis = USES_REDIS.has(name) ? openRedis(config.REDIS_URL, logger) : undefined;
  try {
    const { bindings, lifecycle } = await composeService(
      name,
      { database, redis, config, logger: root, clock: systemClock, eventLog, metrics },
      clients,
    );
    const server = await serveGrpc({
      services: bindings,
      port: grpcPortOf(name, config),
      host: config.GRPC_HOST,
      logger,
      metrics,
      isReady: () => ready,
      drainTimeoutMs: Math.floor(config.SOUK_SHUTDOWN_TIMEOUT_MS / 2),
    });
    if (USES_EVENT_LOG.has(name)) await eventLog.ensureTopics(TOPIC_SPECS);
    await lifecycle.start();
    // /metrics (RED per RPC, runtime, business metrics), /livez and /readyz over HTTP for Prometheus.
    const ops = createHttpServer({ logger, metrics, isReady: () => ready });
    await ops.listen({ port: metricsPortOf(name, config), host: config.GRPC_HOST });
    ready = true;
    const startupMs = Math.round(performance.now() - started);
    logger.info({ url: server.url, startupMs }, `${name} is ready`);
    return {
      name,
      url: server.url,
      port: server.port,
      startupMs,
      stop: once(async () => {
        ready = false;
        await server.close();
        await ops.close();
        await lifecycle.stop();
        clients.close();
        await eventLog.close();
        if (redis !== undefined) await closeRedis(redis);
        await database.close();
        await shutdownTracing();
        logger.info(`${name} stopped`);
      }),
    };
  } catch (error) {
    clients.close();
    await eventLog.close();
    if (redis !== undefined) await closeRedis(redis);
    await database.close();
    throw error;
  }
}

async function startGateway(config: DistributedConfig, root: Logger, started: number): Promise<RunningService> {
  const logger = root.child({ service: "gateway" });
  const metrics = createMetrics();
  let ready = false;
  const upstream = createUpstreamClients(config);
  const clients = {
    users: upstream.users(),
    tokens: upstream.tokens(),
    catalog: upstream.catalog(),
    cart: upstream.cart(),
    inventory: upstream.inventory(),
    orders: upstream.orders(),
    notifications: upstream.notifications(),
    analytics: upstream.analytics(),
  };
  // Rate-limit counters shared by the gateway replicas; a Redis outage lets requests through.
  const redis = openRedis(config.REDIS_URL, logger);
  const eventLog = await openEventLog("gateway", config, logger);
  try {
    if (config.SOUK_SEED_CATALOG) await seedDemoCatalog(clients, config, logger);
    const { createGateway } = await import("@souk/gateway");
    const { app } = await createGateway({
      config,
      logger: root,
      metrics,
      isReady: () => ready,
      clients,
      redis,
      eventLog,
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.PORT;
    const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
    const url = `http://${host}:${port}`;
    ready = true;
    const startupMs = Math.round(performance.now() - started);
    logger.info({ url, startupMs }, "gateway is ready");
    return {
      name: "gateway",
      url,
      port,
      startupMs,
      stop: once(async () => {
        ready = false;
        await app.close();
        upstream.close();
        await eventLog.close();
        await closeRedis(redis);
        await shutdownTracing();
        logger.info("gateway stopped");
      }),
    };
  } catch (error) {
    upstream.close();
    await eventLog.close();
    await closeRedis(redis);
    throw error;
  }
}

/**
 * Starts one process of the distributed topology (ARCHITECTURE.md, "local distributed"):
 * - a service (identity, catalog, cart, inventory, payments, orders): opens its own PostgreSQL
 *   database (`<NAME>_DATABASE_URL`, `DATABASE_URL`, or the one `npm run services` creates),
 *   migrates, builds gRPC clients of its upstreams (`SOUK_<NAME>_GRPC_URL`), serves its handlers
 *   with gRPC health and reflection on `GRPC_PORT` (default: its fixed port, 50051…50056), and
 *   starts its background loops;
 * - the gateway: the same REST API as embedded on `PORT`, over gRPC clients of every service,
 *   after seeding the demo catalog when it is empty (`SOUK_SEED_CATALOG`).
 * Every log line carries `service`. The caller owns signals (see `runStartCommand`).
 *
 * @throws ConfigError naming every bad environment variable; Error when the database cannot be
 *   opened, a migration fails, or the port is taken.
 */
export async function startService(name: ProcessName, options: StartServiceOptions = {}): Promise<RunningService> {
  const started = performance.now();
  const config = loadConfig(DistributedConfig, { ...process.env, ...options.env });
  const root = options.logger ?? createLogger({ level: config.LOG_LEVEL, name: "souk" });
  initTracing({ serviceName: name, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  return name === "gateway" ? startGateway(config, root, started) : startGrpcService(name, config, root, started);
}
