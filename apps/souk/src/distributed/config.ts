// Configuration of one process of the distributed topology (`souk start <service>`): where it
// listens, which PostgreSQL database it owns, where its upstreams answer, and the service's own
// variables (the same objects the embedded launcher reads).
import Type, { type Static } from "typebox";
import { LogLevel } from "@souk/platform";
import { CartConfig } from "@souk/cart/config";
import { CatalogConfig } from "@souk/catalog/config";
import { GatewayConfig } from "@souk/gateway/config";
import { IdentityConfig } from "@souk/identity/config";
import { InventoryConfig } from "@souk/inventory/config";
import { OrdersConfig } from "@souk/orders/config";
import { PaymentsConfig } from "@souk/payments/config";
import { NotificationsConfig } from "@souk/notifications/config";
import { AnalyticsConfig } from "@souk/analytics/config";

/** The services that run as gRPC servers, each with its own database. */
export const SERVICE_NAMES = [
  "identity",
  "catalog",
  "cart",
  "inventory",
  "payments",
  "orders",
  "notifications",
  "analytics",
] as const;

/** A gRPC service process. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What `souk start <name>` accepts: a service, or the REST gateway in front of them. */
export type ProcessName = ServiceName | "gateway";

/** Every name `souk start` accepts. */
export const PROCESS_NAMES: readonly ProcessName[] = [...SERVICE_NAMES, "gateway"];

/** True when `name` is a process `souk start` can run. */
export function isProcessName(name: string): name is ProcessName {
  return (PROCESS_NAMES as readonly string[]).includes(name);
}

/**
 * Fixed gRPC ports, one per service, so every process finds the others without discovery: the
 * same numbers serve as the Kubernetes Services' ports later.
 */
export const DEFAULT_GRPC_PORTS: Readonly<Record<ServiceName, number>> = {
  identity: 50051,
  catalog: 50052,
  cart: 50053,
  inventory: 50054,
  payments: 50055,
  orders: 50056,
  notifications: 50057,
  analytics: 50058,
};

/**
 * Default deadline of calls to each service, in ms. Orders answers Cancel after waiting for the
 * refund (ORDERS_CHECKOUT_WAIT_MS, 5 s by default) and payments may sit behind a slow provider,
 * so they get longer ones; Checkout passes its own deadline. Identity hashes passwords with
 * argon2id (tens of ms of CPU each): a burst of registrations queues on two cores.
 */
const DEFAULT_TIMEOUTS_MS: Readonly<Record<ServiceName, number>> = {
  identity: 10_000,
  catalog: 2_000,
  cart: 2_000,
  inventory: 2_000,
  payments: 10_000,
  orders: 15_000,
  notifications: 5_000,
  analytics: 10_000,
};

/** The services each process calls (ARCHITECTURE.md: cart → catalog, inventory; orders → cart, inventory, payments). */
export const UPSTREAMS: Readonly<Record<ProcessName, readonly ServiceName[]>> = {
  identity: [],
  catalog: [],
  inventory: [],
  payments: [],
  cart: ["catalog", "inventory"],
  orders: ["cart", "inventory", "payments"],
  notifications: ["identity"],
  analytics: [],
  gateway: ["identity", "catalog", "cart", "inventory", "orders", "notifications", "analytics"],
};

const postgresUrl = (description: string) =>
  Type.Optional(Type.String({ pattern: "^postgres(ql)?://\\S+$", description }));

const grpcUrl = (name: ServiceName) =>
  Type.String({
    pattern: "^https?://[^\\s/]+/?$",
    default: `http://127.0.0.1:${DEFAULT_GRPC_PORTS[name]}`,
    description: `Base URL of the ${name} service's gRPC server`,
  });

const grpcTimeout = (name: ServiceName) =>
  Type.Integer({
    minimum: 1,
    maximum: 600_000,
    default: DEFAULT_TIMEOUTS_MS[name],
    description: `Deadline of calls to ${name}, in ms (a call may pass its own)`,
  });

/** The process's own variables (besides the services'). */
export const ProcessConfig = Type.Object({
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: "info" }),
  SOUK_SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 10_000,
    description: "Longest graceful shutdown; calls in flight get about half of it",
  }),
  GRPC_HOST: Type.String({ minLength: 1, default: "127.0.0.1", description: "Interface the gRPC server listens on" }),
  GRPC_PORT: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 65535, description: "gRPC port (default: the service's fixed port)" }),
  ),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "HTTP port of the gateway" }),
  HOST: Type.String({ minLength: 1, default: "127.0.0.1", description: "Interface the gateway listens on" }),
  DATABASE_URL: postgresUrl("PostgreSQL URL for a service without its own <NAME>_DATABASE_URL"),
  IDENTITY_DATABASE_URL: postgresUrl("PostgreSQL URL of identity's database"),
  CATALOG_DATABASE_URL: postgresUrl("PostgreSQL URL of catalog's database"),
  CART_DATABASE_URL: postgresUrl("PostgreSQL URL of cart's database"),
  INVENTORY_DATABASE_URL: postgresUrl("PostgreSQL URL of inventory's database"),
  PAYMENTS_DATABASE_URL: postgresUrl("PostgreSQL URL of payments' database"),
  ORDERS_DATABASE_URL: postgresUrl("PostgreSQL URL of orders' database"),
  NOTIFICATIONS_DATABASE_URL: postgresUrl("PostgreSQL URL of notifications' database"),
  ANALYTICS_DATABASE_URL: postgresUrl("PostgreSQL URL of analytics' database"),
  REDIS_URL: Type.String({
    minLength: 1,
    default: "redis://127.0.0.1:56379",
    description: "Redis for cart, the catalog cache and fraud velocity (what `npm run services` starts)",
  }),
  KAFKA_BROKERS: Type.String({
    pattern: "^[^\\s,]+:\\d+(,[^\\s,]+:\\d+)*$",
    default: "127.0.0.1:59092",
    description: "Kafka bootstrap brokers, host:port comma-separated (what `npm run services` starts)",
  }),
  SOUK_INSTANCE_ID: Type.Optional(
    Type.String({
      pattern: "^[A-Za-z0-9._-]{1,200}$",
      description:
        "This process's identity across restarts, unique among live processes (`up` sets the pm2 name, souk-orders-1): " +
        "its Kafka consumers join as static members (KIP-345), so a restarted process takes its partitions back at once; " +
        "unset: dynamic members",
    }),
  ),
  RABBITMQ_URL: Type.String({
    pattern: "^amqps?://\\S+$",
    default: "amqp://souk:souk@127.0.0.1:55672/souk",
    description: "RabbitMQ for notifications' work queues (what `npm run services` starts)",
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(
    Type.String({
      pattern: "^https?://\\S+$",
      description:
        "OTLP/HTTP endpoint spans are exported to (e.g. Jaeger's http://127.0.0.1:4318/v1/traces); unset: not exported",
    }),
  ),
  DATABASE_MAX_CONNECTIONS: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: "Pool size" }),
  SOUK_IDENTITY_GRPC_URL: grpcUrl("identity"),
  SOUK_CATALOG_GRPC_URL: grpcUrl("catalog"),
  SOUK_CART_GRPC_URL: grpcUrl("cart"),
  SOUK_INVENTORY_GRPC_URL: grpcUrl("inventory"),
  SOUK_PAYMENTS_GRPC_URL: grpcUrl("payments"),
  SOUK_ORDERS_GRPC_URL: grpcUrl("orders"),
  SOUK_NOTIFICATIONS_GRPC_URL: grpcUrl("notifications"),
  SOUK_ANALYTICS_GRPC_URL: grpcUrl("analytics"),
  SOUK_IDENTITY_GRPC_TIMEOUT_MS: grpcTimeout("identity"),
  SOUK_CATALOG_GRPC_TIMEOUT_MS: grpcTimeout("catalog"),
  SOUK_CART_GRPC_TIMEOUT_MS: grpcTimeout("cart"),
  SOUK_INVENTORY_GRPC_TIMEOUT_MS: grpcTimeout("inventory"),
  SOUK_PAYMENTS_GRPC_TIMEOUT_MS: grpcTimeout("payments"),
  SOUK_ORDERS_GRPC_TIMEOUT_MS: grpcTimeout("orders"),
  SOUK_NOTIFICATIONS_GRPC_TIMEOUT_MS: grpcTimeout("notifications"),
  SOUK_ANALYTICS_GRPC_TIMEOUT_MS: grpcTimeout("analytics"),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: "HTTP port of a service's /metrics, /livez and /readyz (default: its gRPC port + 1000)",
    }),
  ),
  SOUK_SEED_CATALOG: Type.Boolean({
    default: true,
    description:
      "The gateway seeds the demo catalog (CATALOG_SEED_COUNT products) and its stock when the catalog is empty",
  }),
  SOUK_UPSTREAM_WAIT_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description:
      "How long a starting process waits for PostgreSQL, and the gateway for catalog and inventory before seeding, before it gives up",
  }),
});

/**
 * Every variable a distributed process reads: its own and every service's (one schema, so a bad
 * variable is named the same way whichever process reads it, and each process in a deployment
 * can share one environment).
 */
export const DistributedConfig = Type.Object({
  ...ProcessConfig.properties,
  ...GatewayConfig.properties,
  ...IdentityConfig.properties,
  ...CatalogConfig.properties,
  ...CartConfig.properties,
  ...InventoryConfig.properties,
  ...PaymentsConfig.properties,
  ...OrdersConfig.properties,
  ...NotificationsConfig.properties,
  ...AnalyticsConfig.properties,
});

/** Parsed `DistributedConfig`. */
export type DistributedConfig = Static<typeof DistributedConfig>;

type UpperName = Uppercase<ServiceName>;

/**
 * The PostgreSQL URL of `name`'s database: `<NAME>_DATABASE_URL`, else `DATABASE_URL`, else the
 * database `npm run services` creates for it (`postgres://souk:souk@127.0.0.1:55432/<name>`).
 */
export function databaseUrlOf(name: ServiceName, config: DistributedConfig): string {
  const own = config[`${name.toUpperCase() as UpperName}_DATABASE_URL`];
  return own ?? config.DATABASE_URL ?? `postgres://souk:souk@127.0.0.1:55432/${name}`;
}

/** The port `name`'s gRPC server listens on: `GRPC_PORT`, else its fixed port. */
export function grpcPortOf(name: ServiceName, config: DistributedConfig): number {
  return config.GRPC_PORT ?? DEFAULT_GRPC_PORTS[name];
}

/**
 * The port of `name`'s HTTP metrics endpoint: `METRICS_PORT`, else its gRPC port + 1000 — or any
 * free port (0) when the gRPC port is itself any free port (`GRPC_PORT=0`, as tests run them).
 */
export function metricsPortOf(name: ServiceName, config: DistributedConfig): number {
  const grpcPort = grpcPortOf(name, config);
  return config.METRICS_PORT ?? (grpcPort === 0 ? 0 : grpcPort + 1000);
}

/** Where `name` answers (`SOUK_<NAME>_GRPC_URL`) and the default deadline of calls to it (`SOUK_<NAME>_GRPC_TIMEOUT_MS`). */
export function upstreamOf(name: ServiceName, config: DistributedConfig): { url: string; timeoutMs: number } {
  const upper = name.toUpperCase() as UpperName;
  return { url: config[`SOUK_${upper}_GRPC_URL`], timeoutMs: config[`SOUK_${upper}_GRPC_TIMEOUT_MS`] };
}
