import { tmpdir } from "node:os";
import Type, { type Static } from "typebox";
import { LogLevel } from "@souk/platform";
import { CartConfig } from "@souk/cart";
import { CatalogConfig } from "@souk/catalog";
import { GatewayConfig } from "@souk/gateway";
import { IdentityConfig } from "@souk/identity";
import { InventoryConfig } from "@souk/inventory";
import { OrdersConfig } from "@souk/orders";
import { PaymentsConfig } from "@souk/payments";
import { NotificationsConfig } from "@souk/notifications";
import { AnalyticsConfig } from "@souk/analytics";

/** The launcher's own variables. */
export const LauncherConfig = Type.Object({
  PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 8080,
    description: "HTTP port of the public API (0 = any free port)",
  }),
  HOST: Type.String({ minLength: 1, default: "127.0.0.1", description: "Interface to listen on" }),
  SOUK_DATA_DIR: Type.String({ minLength: 1, default: "./.souk", description: "PGlite data directory, or memory://" }),
  SOUK_TEMPLATE_DIR: Type.String({
    minLength: 1,
    default: tmpdir(),
    description:
      "Where the store templates live (a migrated, seeded cluster per code version, ~70 MB; an empty data directory starts as a copy)",
  }),
  SOUK_VACUUM_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 15_000,
    description:
      "PGlite has no autovacuum: one table is vacuumed every this many ms, so each of the 56 comes round every ~14 min (0 = never)",
  }),
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: "info" }),
  SOUK_SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: "Longest graceful shutdown" }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(
    Type.String({
      pattern: "^https?://\\S+$",
      description:
        "OTLP/HTTP endpoint spans are exported to (e.g. Jaeger's http://127.0.0.1:4318/v1/traces); unset: not exported",
    }),
  ),
});

/** Every variable the embedded topology reads: the launcher's and each service's. */
export const EmbeddedConfig = Type.Object({
  ...LauncherConfig.properties,
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

/** Parsed configuration of the embedded topology. */
export type EmbeddedConfig = Static<typeof EmbeddedConfig>;
