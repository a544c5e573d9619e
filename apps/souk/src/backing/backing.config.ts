// Configuration of `npm run services`: where the backing services keep their state and which
// loopback ports they answer on. Everything else in backing/ takes a parsed `BackingConfig`.
import { resolve } from "node:path";
import Type, { type Static } from "typebox";
import { loadConfig } from "@souk/platform";
import { SERVICE_NAMES } from "../distributed/config.ts";
import { REPO_ROOT } from "../repo-root.ts";

export { REPO_ROOT } from "../repo-root.ts";

/** Every backing service listens on this address only. */
export const LOOPBACK = "127.0.0.1";

/**
 * The services that own a PostgreSQL database (ARCHITECTURE.md: a database per service, one
 * server): every gRPC service of the distributed topology. `start` creates each one that is missing.
 */
export const SERVICE_DATABASES = SERVICE_NAMES;

/** The PostgreSQL superuser `start` creates (one server for development, on loopback only). */
export const PG_USER = "souk";
/** `PG_USER`'s password (scram-sha-256); the same in deploy/compose/compose.yaml. */
export const PG_PASSWORD = "souk";

/** The RabbitMQ user `start` creates on the first boot (administrator, all permissions on `RABBITMQ_VHOST`). */
export const RABBITMQ_USER = "souk";
/** `RABBITMQ_USER`'s password; the same in deploy/compose/compose.yaml. */
export const RABBITMQ_PASSWORD = "souk";
/** The RabbitMQ virtual host Souk uses (created on the first boot; no `guest` user exists). */
export const RABBITMQ_VHOST = "souk";

const port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: fallback, description });

/**
 * The environment variables of `npm run services`. Default ports are deliberately non-standard
 * so a system PostgreSQL (5432), Redis (6379) or web server never clashes with them.
 */
export const BackingEnv = Type.Object({
  SOUK_SERVICES_DIR: Type.String({
    minLength: 1,
    default: resolve(REPO_ROOT, ".souk-services"),
    description: "State, data and logs of the backing services (relative paths are from the working directory)",
  }),
  SOUK_PG_PORT: port(55432, "PostgreSQL port on 127.0.0.1"),
  SOUK_REDIS_PORT: port(56379, "Redis port on 127.0.0.1"),
  SOUK_NGINX_PORT: port(58080, "Port of NGINX's health server (/healthz) on 127.0.0.1"),
  SOUK_KAFKA_PORT: port(59092, "Kafka broker (PLAINTEXT listener) port on 127.0.0.1"),
  SOUK_KAFKA_CONTROLLER_PORT: port(59093, "Kafka KRaft controller listener port on 127.0.0.1"),
  SOUK_RABBITMQ_PORT: port(55672, "RabbitMQ AMQP 0-9-1 port on 127.0.0.1"),
  SOUK_RABBITMQ_DIST_PORT: port(55673, "RabbitMQ's Erlang distribution port on 127.0.0.1 (rabbitmqctl talks to it)"),
  SOUK_RABBITMQ_EPMD_PORT: port(54369, "Port of the Erlang port mapper (epmd) RabbitMQ registers with, on 127.0.0.1"),
  SOUK_SERVICES_RUNTIME: Type.Union([Type.Literal("auto"), Type.Literal("local"), Type.Literal("compose")], {
    default: "auto",
    description:
      "auto: Docker Compose when a Docker engine answers, else daemons started directly; local or compose forces one",
  }),
  SOUK_SERVICES_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: 60_000,
    description: "Longest wait for one service to become ready or to stop",
  }),
});

/** Parsed `BackingEnv`, with `SOUK_SERVICES_DIR` made absolute. */
export type BackingConfig = Static<typeof BackingEnv>;

/**
 * Parses the backing services' variables from `env` (defaults for absent ones).
 *
 * @throws ConfigError naming every bad variable.
 */
export function loadBackingConfig(env: Record<string, string | undefined>): BackingConfig {
  const config = loadConfig(BackingEnv, env);
  return { ...config, SOUK_SERVICES_DIR: resolve(config.SOUK_SERVICES_DIR) };
}

/** Where clients find the backing services. */
export interface BackingServiceUrls {
  /**
   * The PostgreSQL URL of one service's database, e.g. `postgres://souk:souk@127.0.0.1:55432/orders`.
   * @throws Error when `service` is not one of `SERVICE_DATABASES`.
   */
  databaseUrl(service: string): string;
  /** e.g. `redis://127.0.0.1:56379`. */
  readonly redisUrl: string;
  /** NGINX's health server, e.g. `http://127.0.0.1:58080` (answers `/healthz`). */
  readonly nginxUrl: string;
  /** Kafka's bootstrap servers as `host:port[,host:port…]`, e.g. `127.0.0.1:59092` (KAFKA_BROKERS). */
  readonly kafkaBrokers: string;
  /** RabbitMQ's AMQP URL with credentials and vhost, e.g. `amqp://souk:souk@127.0.0.1:55672/souk` (RABBITMQ_URL). */
  readonly rabbitmqUrl: string;
}

/**
 * The URLs of what `npm run services start` brings up with the same environment: the defaults
 * are `postgres://souk:souk@127.0.0.1:55432/<service>`, `redis://127.0.0.1:56379`,
 * `http://127.0.0.1:58080`, Kafka brokers `127.0.0.1:59092` and
 * `amqp://souk:souk@127.0.0.1:55672/souk`; `SOUK_PG_PORT`, `SOUK_REDIS_PORT`, `SOUK_NGINX_PORT`,
 * `SOUK_KAFKA_PORT` and `SOUK_RABBITMQ_PORT` move them.
 *
 * @throws ConfigError naming every bad variable.
 */
export function backingServiceUrls(env: Record<string, string | undefined> = process.env): BackingServiceUrls {
  const config = loadBackingConfig(env);
  return urlsOf(config);
}

/** `backingServiceUrls` for an already parsed config. */
export function urlsOf(config: BackingConfig): BackingServiceUrls {
  return {
    databaseUrl(service: string): string {
      if (!(SERVICE_DATABASES as readonly string[]).includes(service)) {
        throw new Error(`no database for "${service}": expected one of ${SERVICE_DATABASES.join(", ")}`);
      }
      return postgresUrl(config, service);
    },
    redisUrl: `redis://${LOOPBACK}:${config.SOUK_REDIS_PORT}`,
    nginxUrl: `http://${LOOPBACK}:${config.SOUK_NGINX_PORT}`,
    kafkaBrokers: `${LOOPBACK}:${config.SOUK_KAFKA_PORT}`,
    rabbitmqUrl: rabbitmqUrl(config),
  };
}

/** The URL of any database on the backing PostgreSQL server (including `postgres`, the maintenance one). */
export function postgresUrl(config: BackingConfig, database: string): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@${LOOPBACK}:${config.SOUK_PG_PORT}/${database}`;
}

/** The AMQP URL of the backing RabbitMQ: `amqp://souk:souk@127.0.0.1:<SOUK_RABBITMQ_PORT>/souk`. */
export function rabbitmqUrl(config: BackingConfig): string {
  const vhost = encodeURIComponent(RABBITMQ_VHOST);
  return `amqp://${RABBITMQ_USER}:${RABBITMQ_PASSWORD}@${LOOPBACK}:${config.SOUK_RABBITMQ_PORT}/${vhost}`;
}
