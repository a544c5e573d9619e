// The common shape of a backing service (PostgreSQL, Redis, NGINX, Kafka, RabbitMQ):
// each one is a module exporting a factory `(ctx) => BackingService`, listed once in
// services.command.ts. The command decides the runtime (daemons started directly, or Docker
// Compose) and drives every service through this interface.
import { join } from "node:path";
import type { BackingConfig } from "./backing.config.ts";

/**
 * A failure the operator can act on: names the service and, when there is one, the log file to
 * read. `runServicesCommand` prints its message and exits 1; anything else is a bug.
 */
export class ServicesError extends Error {
  readonly service: string;
  readonly logFile: string | undefined;

  constructor(service: string, message: string, logFile?: string) {
    super(`${service}: ${message}${logFile === undefined ? "" : ` (log: ${logFile})`}`);
    this.name = "ServicesError";
    this.service = service;
    this.logFile = logFile;
  }
}

/**
 * Every path under the state directory, absolute. Nothing writes outside it but apt-get and
 * Kafka's download (Maven's local repository plus a classpath file in the user's cache directory).
 */
export interface StateLayout {
  readonly root: string;
  readonly logs: string;
  /** PGDATA. */
  readonly postgresData: string;
  /** PostgreSQL's unix socket directory (owned by the OS user running the server). */
  readonly postgresRun: string;
  /** Redis's config, pid file, AOF and RDB files. */
  readonly redis: string;
  /** NGINX's prefix: main config, pid file, temp paths. */
  readonly nginx: string;
  /** Every `*.conf` here is included in NGINX's `http {}`: the launcher drops upstreams here, then reloads. */
  readonly nginxConfD: string;
  /** Kafka's server.properties, log4j2 config, pid file, and its data (`data/`, log.dirs). */
  readonly kafka: string;
  /** RabbitMQ's config, Erlang cookie (`home/`), pid file and database (`mnesia/`). */
  readonly rabbitmq: string;
}

/** The layout of the state directory `root`. */
export function stateLayout(root: string): StateLayout {
  return {
    root,
    logs: join(root, "logs"),
    postgresData: join(root, "postgres"),
    postgresRun: join(root, "postgres-run"),
    redis: join(root, "redis"),
    nginx: join(root, "nginx"),
    nginxConfD: join(root, "nginx", "conf.d"),
    kafka: join(root, "kafka"),
    rabbitmq: join(root, "rabbitmq"),
  };
}

/** What every backing service module is given. */
export interface BackingContext {
  readonly config: BackingConfig;
  readonly layout: StateLayout;
  readonly repoRoot: string;
  /** The process runs as root: it may install packages, and runs PostgreSQL as the `postgres` OS user. */
  readonly isRoot: boolean;
  /** One line of progress for the operator. */
  log(line: string): void;
  /**
   * Runs one timed step and logs `<service>: <label> (<duration>)` when it ends, so every run
   * reports where its time went. Resolves to the step's result; a failing step is not logged here.
   */
  step<T>(service: string, label: string, run: () => Promise<T>): Promise<T>;
}

/** What `status` knows about one service. */
export interface ServiceStatus {
  readonly up: boolean;
  /** Short human detail: `pid 123`, `not running`, or what is wrong. */
  readonly detail: string;
}

/** What `stop` did. */
export type StopOutcome = "stopped" | "not running";

/**
 * One backing service. The local runtime calls `start`/`stop`/`status`; the Docker Compose
 * runtime calls `prepare`, brings up the `composeService` container, then `provision`, and asks
 * `probe` for status. Every method is idempotent.
 */
export interface BackingService {
  /** Short name used in output and errors, e.g. `postgres`. */
  readonly name: string;
  /** The service's name in deploy/compose/compose.yaml. */
  readonly composeService: string;
  /** How clients connect, e.g. `redis://127.0.0.1:56379`; may contain `<service>` for a per-service part. */
  readonly url: string;
  /**
   * The Debian packages to install because a binary this service runs is missing (install step);
   * `[]` when everything is there.
   */
  missingPackages(): Promise<string[]>;
  /**
   * Local runtime, install step: fetches what does not come from Debian (Kafka's jars from Maven
   * Central). Runs alongside apt-get unless this service's own packages are missing; a no-op
   * when everything is there already.
   */
  fetch?(): Promise<void>;
  /** Writes the config files and directories both runtimes use. */
  prepare(): Promise<void>;
  /** Local runtime: starts the daemon on loopback unless it already runs, waits until ready, provisions. */
  start(): Promise<"started" | "already running">;
  /** Creates what clients expect once the server answers (e.g. a database per service). */
  provision(): Promise<void>;
  /** Local runtime: stops the daemon cleanly and waits for it to exit. */
  stop(): Promise<StopOutcome>;
  /** Local runtime: whether this state directory's daemon runs and answers. */
  status(): Promise<ServiceStatus>;
  /** Whether something answers as this service on its port (either runtime). */
  probe(): Promise<boolean>;
}

/** A module's factory: binds the service to one state directory and config. */
export type BackingServiceFactory = (ctx: BackingContext) => BackingService;

/** `1.23 s` or `45 ms`. */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
