// The local twin of the Kubernetes deployment (`npm run up`): which processes run, on which
// loopback ports, with which environment, and the pm2 ecosystem file that runs them. Pure: no I/O.
import { join } from "node:path";
import Type, { type Static } from "typebox";
import { LogLevel, loadConfig } from "@souk/platform";
import { DEFAULT_GRPC_PORTS, SERVICE_NAMES, type ProcessName, type ServiceName } from "../distributed/config.ts";
import { MALLOC_ENV, NODE_ARGS, NODE_COMPILE_CACHE } from "../node-options.ts";

/** Every listener of the cluster is on this address only. */
export const CLUSTER_HOST = "127.0.0.1";
/** NGINX terminates TLS here and balances across the gateway replicas. */
export const EDGE_PORT = 8443;
/** The public base URL of the cluster (what `up` prints and `clusterUp` returns). */
export const EDGE_URL = `https://${CLUSTER_HOST}:${EDGE_PORT}`;
/** NGINX's gRPC load balancer (h2c) in front of the orders replicas: what orders' clients call. */
export const ORDERS_BALANCER_PORT = 50060;
/** The REST ports of the gateway replicas (one replica per port). */
export const GATEWAY_REPLICA_PORTS: readonly number[] = [8081, 8082];
/** The gRPC ports of the orders replicas: its fixed port, then the same plus ten. */
export const ORDERS_REPLICA_PORTS: readonly number[] = [DEFAULT_GRPC_PORTS.orders, DEFAULT_GRPC_PORTS.orders + 10];

/** The variables `up` itself reads (the processes read theirs: distributed/config.ts). */
export const ClusterEnv = Type.Object({
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: "info", description: "Log level of every process" }),
  SOUK_SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 10_000,
    description: "Longest graceful shutdown of one process; pm2 sends SIGKILL 5 s after it",
  }),
  SOUK_UP_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    default: 90_000,
    description: "Longest wait, after the processes are started, for every one of them to be ready",
  }),
});

/** Parsed `ClusterEnv`. */
export type ClusterConfig = Static<typeof ClusterEnv>;

/**
 * Parses `up`'s variables from `env` (defaults for absent ones).
 *
 * @throws ConfigError naming every bad variable.
 */
export function loadClusterConfig(env: Record<string, string | undefined>): ClusterConfig {
  return loadConfig(ClusterEnv, env);
}

/** One process of the cluster: one pm2 app. */
export interface ClusterProcess {
  /** The pm2 app name, which prefixes its log lines: `souk-catalog`, `souk-gateway-1`. */
  readonly name: string;
  /** What `souk start <service>` runs. */
  readonly service: ProcessName;
  /** REST (the gateway) or gRPC (h2c, with grpc.health.v1). */
  readonly protocol: "http" | "grpc";
  /** Its port on `CLUSTER_HOST`. */
  readonly port: number;
  /** Its variables (on top of the environment `up` was started with). */
  readonly env: Readonly<Record<string, string>>;
}

/** What `clusterProcesses` needs besides the fixed ports. */
export interface TopologyOptions {
  readonly config: ClusterConfig;
  /**
   * The PostgreSQL URL of a service's database, or undefined when the operator's environment
   * already names it (`<NAME>_DATABASE_URL` or `DATABASE_URL`), which then wins.
   */
  databaseUrl(service: ServiceName): string | undefined;
  /** The backing Redis (`REDIS_URL`), or undefined when the operator's environment names its own. */
  readonly redisUrl: string | undefined;
}

/**
 * Where each service answers for its clients: its own fixed port, except orders, which is called
 * through NGINX's gRPC load balancer so that both replicas share the load (a Kubernetes Service).
 */
export function upstreamUrls(): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const name of SERVICE_NAMES) {
    const port = name === "orders" ? ORDERS_BALANCER_PORT : DEFAULT_GRPC_PORTS[name];
    urls[`SOUK_${name.toUpperCase()}_GRPC_URL`] = `http://${CLUSTER_HOST}:${port}`;
  }
  return urls;
}

/**
 * The processes of the cluster, in start order: one per gRPC service (identity, catalog, cart,
 * inventory, payments on their fixed ports), two orders replicas (gRPC 50056 and 50066) and two
 * gateway replicas (REST 8081 and 8082, advertising the public `EDGE_URL`).
 */
export function clusterProcesses(options: TopologyOptions): ClusterProcess[] {
  const common: Record<string, string> = {
    LOG_LEVEL: options.config.LOG_LEVEL,
    SOUK_SHUTDOWN_TIMEOUT_MS: String(options.config.SOUK_SHUTDOWN_TIMEOUT_MS),
    GRPC_HOST: CLUSTER_HOST,
    HOST: CLUSTER_HOST,
    ...upstreamUrls(),
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
  };
  const withDatabase = (service: ServiceName, env: Record<string, string>) => {
    const url = options.databaseUrl(service);
    return url === undefined ? env : { ...env, [`${service.toUpperCase()}_DATABASE_URL`]: url };
  };
  const grpcProcess = (service: ServiceName, name: string, port: number): ClusterProcess => ({
    name,
    service,
    protocol: "grpc",
    port,
    env: withDatabase(service, { ...common, GRPC_PORT: String(port), SOUK_INSTANCE_ID: name }),
  });

  const processes: ClusterProcess[] = SERVICE_NAMES.filter((service) => service !== "orders").map((service) =>
    grpcProcess(service, `souk-${service}`, DEFAULT_GRPC_PORTS[service]),
  );
  ORDERS_REPLICA_PORTS.forEach((port, index) =>
    processes.push(grpcProcess("orders", `souk-orders-${index + 1}`, port)),
  );
  GATEWAY_REPLICA_PORTS.forEach((port, index) =>
    processes.push({
      name: `souk-gateway-${index + 1}`,
      service: "gateway",
      protocol: "http",
      port,
      env: {
        ...common,
        PORT: String(port),
        GATEWAY_PUBLIC_URL: EDGE_URL,
        SOUK_INSTANCE_ID: `souk-gateway-${index + 1}`,
      },
    }),
  );
  return processes;
}

/** Files and programs an ecosystem refers to, all absolute. */
export interface EcosystemPaths {
  readonly repoRoot: string;
  /** What every process runs: the bundle of apps/souk/src/main.ts (`dist/souk/main.js`, see bundle.ts). */
  readonly script: string;
  /** The interpreter of every process: the repo's Node 24 (`node_modules/.bin/node`). */
  readonly node: string;
  /** Each process writes `<name>.out.log` and `<name>.error.log` here. */
  readonly logsDir: string;
}

/** One app of a pm2 ecosystem file (only the attributes Souk sets; see pm2's lib/API/schema.json). */
export interface Pm2App {
  readonly name: string;
  readonly script: string;
  readonly args: string[];
  readonly interpreter: string;
  /** Arguments of the interpreter, before the script. */
  readonly node_args: string[];
  readonly cwd: string;
  readonly exec_mode: "fork";
  readonly autorestart: true;
  readonly min_uptime: number;
  readonly max_restarts: number;
  readonly exp_backoff_restart_delay: number;
  readonly kill_timeout: number;
  readonly out_file: string;
  readonly error_file: string;
  readonly vizion: false;
  readonly pmx: false;
  readonly automation: false;
  readonly env: Record<string, string>;
}

/**
 * Variables of every process besides its own: `NODE_COMPILE_CACHE`, and pm2's
 * `disable_source_map_support`, without which pm2's wrapper turns on source maps, so Node loads
 * and keeps the source map of every module that names one (~16 MB RSS each; stack traces of
 * Souk's own code are unaffected: type stripping keeps its lines and columns).
 */
export const PROCESS_ENV: Readonly<Record<string, string>> = {
  NODE_COMPILE_CACHE,
  disable_source_map_support: "true",
  ...MALLOC_ENV,
};

/** Margin between a process's own drain deadline and pm2's SIGKILL. */
const KILL_MARGIN_MS = 5_000;

/**
 * The pm2 ecosystem of the cluster: each process is `<node> <NODE_ARGS> <script> start <service>`
 * (the bundle of apps/souk/src/main.ts) with `PROCESS_ENV`, in fork mode (Souk's own replicas, not pm2's
 * cluster mode), restarted when it dies (exponential backoff from 250 ms; 10 quick deaths in a
 * row and pm2 gives up: `errored`), and given `SOUK_SHUTDOWN_TIMEOUT_MS` + 5 s to drain after
 * SIGTERM before SIGKILL.
 */
export function ecosystemOf(
  processes: readonly ClusterProcess[],
  config: ClusterConfig,
  paths: EcosystemPaths,
): { apps: Pm2App[] } {
  return {
    apps: processes.map((process) => ({
      name: process.name,
      script: paths.script,
      args: ["start", process.service],
      interpreter: paths.node,
      node_args: [...NODE_ARGS],
      cwd: paths.repoRoot,
      exec_mode: "fork",
      autorestart: true,
      min_uptime: 5_000,
      max_restarts: 10,
      exp_backoff_restart_delay: 250,
      kill_timeout: config.SOUK_SHUTDOWN_TIMEOUT_MS + KILL_MARGIN_MS,
      out_file: join(paths.logsDir, `${process.name}.out.log`),
      error_file: join(paths.logsDir, `${process.name}.error.log`),
      vizion: false,
      pmx: false,
      automation: false,
      env: { ...PROCESS_ENV, ...process.env },
    })),
  };
}
