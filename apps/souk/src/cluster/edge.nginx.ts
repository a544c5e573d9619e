// The cluster's part of the backing NGINX: the TLS edge in front of the gateway replicas and the
// gRPC load balancer in front of the orders replicas, as conf.d files rendered from the
// templates in deploy/nginx/. The backing services' `reloadBackingNginx` applies them.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderTemplate } from "../backing/nginx.backing.ts";
import {
  CLUSTER_HOST,
  EDGE_PORT,
  GATEWAY_REPLICA_PORTS,
  ORDERS_BALANCER_PORT,
  ORDERS_REPLICA_PORTS,
} from "./cluster.topology.ts";

/** The conf.d files of the cluster (NGINX includes `conf.d/*.conf`). */
export const EDGE_CONF_FILES = ["souk-gateway.conf", "souk-orders-grpc.conf"] as const;
/** The directory, inside conf.d, holding NGINX's copy of the server certificate and key. */
const TLS_DIR = "souk-tls";

/**
 * `server` lines of an upstream block: passive health checks take a replica out for 5 s after
 * one failed connection, so a dead replica costs one retried request, not one per request.
 */
function upstreamServers(ports: readonly number[]): string {
  return ports.map((port) => `  server ${CLUSTER_HOST}:${port} max_fails=0;`).join("\n");
}

/** The ports of the cluster's NGINX files, all on `CLUSTER_HOST`. */
export interface EdgePorts {
  /** The TLS edge (8443). */
  readonly edge: number;
  /** The gateway replicas behind it (8081, 8082). */
  readonly gateways: readonly number[];
  /** The orders gRPC balancer (50060). */
  readonly ordersBalancer: number;
  /** The orders replicas behind it (50056, 50066). */
  readonly orders: readonly number[];
}

/** The cluster's own ports (cluster.topology.ts). */
const CLUSTER_EDGE_PORTS: EdgePorts = {
  edge: EDGE_PORT,
  gateways: GATEWAY_REPLICA_PORTS,
  ordersBalancer: ORDERS_BALANCER_PORT,
  orders: ORDERS_REPLICA_PORTS,
};

/**
 * Where the edge keeps cached answers (`proxy_cache_path` in souk-gateway.conf): on tmpfs, one
 * directory per edge port, so two NGINX instances on one machine (the cluster's, a test's) never
 * share one. On the disk (ext4 here) NGINX's workers wrote, renamed and deleted a file for every
 * answer replaced — ~700 a second at 1 s lifetimes over 1,000 product pages — in their event
 * loop, and the distributed product ladder saturated at 8,002/s with p99 over 100 ms from
 * 1,200/s; on tmpfs at 11,998/s. A container's /dev/shm is tmpfs too (64 MB by default).
 */
export function edgeCacheDir(edgePort: number): string {
  return `/dev/shm/souk-edge-cache-${edgePort}`;
}

/**
 * Renders the cluster's NGINX files from deploy/nginx/*.conf.template: the TLS edge
 * (`souk-gateway.conf`, https on 127.0.0.1:8443 over the gateway replicas 8081, 8082) and the
 * orders gRPC balancer (`souk-orders-grpc.conf`, h2c on 127.0.0.1:50060 over 50056, 50066).
 * Resolves to file name → content. `tlsPaths` are as NGINX should read them; `ports` replace
 * the cluster's (tests run the edge on free ports).
 *
 * @throws Error when a template cannot be read or has a placeholder without a value.
 */
export async function renderEdgeConfig(
  repoRoot: string,
  tlsPaths: { cert: string; key: string },
  ports: EdgePorts = CLUSTER_EDGE_PORTS,
): Promise<Record<(typeof EDGE_CONF_FILES)[number], string>> {
  const template = (name: string) => readFile(join(repoRoot, "deploy", "nginx", `${name}.template`), "utf8");
  return {
    "souk-gateway.conf": renderTemplate(await template("souk-gateway.conf"), {
      HOST: CLUSTER_HOST,
      TLS_PORT: String(ports.edge),
      CERT: tlsPaths.cert,
      KEY: tlsPaths.key,
      GATEWAY_SERVERS: upstreamServers(ports.gateways),
      EDGE_CACHE_DIR: edgeCacheDir(ports.edge),
    }),
    "souk-orders-grpc.conf": renderTemplate(await template("souk-orders-grpc.conf"), {
      HOST: CLUSTER_HOST,
      GRPC_PORT: String(ports.ordersBalancer),
      ORDERS_SERVERS: upstreamServers(ports.orders),
    }),
  };
}

/**
 * Writes the cluster's files into NGINX's `confD` (the caller reloads NGINX): the rendered
 * configs, and a copy of the server certificate and key in `confD/souk-tls/`, which the configs
 * name relative to NGINX's config directory (`conf.d/souk-tls/…`) so that a containerized NGINX,
 * which mounts only conf.d, reads them too. `ports` as for `renderEdgeConfig`.
 */
export async function writeEdgeConfig(
  repoRoot: string,
  confD: string,
  certificates: { certPath: string; keyPath: string },
  ports: EdgePorts = CLUSTER_EDGE_PORTS,
): Promise<void> {
  const tlsDir = join(confD, TLS_DIR);
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  await copyFile(certificates.certPath, join(tlsDir, "server.crt"));
  await copyFile(certificates.keyPath, join(tlsDir, "server.key"));
  const files = await renderEdgeConfig(
    repoRoot,
    { cert: `conf.d/${TLS_DIR}/server.crt`, key: `conf.d/${TLS_DIR}/server.key` },
    ports,
  );
  for (const [name, content] of Object.entries(files)) await writeFile(join(confD, name), content);
}

/**
 * Removes what `writeEdgeConfig` wrote (absent files are fine) and the edge's cache directory
 * for `ports.edge` (`edgeCacheDir`); the caller reloads NGINX.
 */
export async function removeEdgeConfig(confD: string, ports: EdgePorts = CLUSTER_EDGE_PORTS): Promise<void> {
  for (const name of EDGE_CONF_FILES) await rm(join(confD, name), { force: true });
  await rm(join(confD, TLS_DIR), { recursive: true, force: true });
  await rm(edgeCacheDir(ports.edge), { recursive: true, force: true });
}
