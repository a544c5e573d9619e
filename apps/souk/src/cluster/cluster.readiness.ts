// Readiness of the whole cluster, as a client sees it: every gRPC service answers its health
// check SERVING, every gateway replica answers /readyz, and the public edge and the orders load
// balancer answer through NGINX.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as delay } from "node:timers/promises";
import { grpcClient, grpcUpstream, Health, ServingStatus } from "@souk/platform/grpc";
import { CLUSTER_HOST, EDGE_URL, ORDERS_BALANCER_PORT, type ClusterProcess } from "./cluster.topology.ts";

/** One thing that must answer before the cluster is ready. */
export interface ReadinessCheck {
  /** What it is, e.g. `souk-catalog (grpc 127.0.0.1:50052)`. */
  readonly name: string;
  /** Resolves to undefined when ready, else why not (a short message). Never rejects. */
  probe(): Promise<string | undefined>;
}

/** Milliseconds one probe may take. */
const PROBE_TIMEOUT_MS = 2_000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * GET `url` on a fresh connection; resolves to undefined on a 200, else what went wrong.
 * `ca` (PEM) is the only authority trusted for https URLs.
 */
export function probeHttp(url: string, ca?: string): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    const options = {
      method: "GET",
      agent: false,
      timeout: PROBE_TIMEOUT_MS,
      ...(ca === undefined ? {} : { ca }),
    } as const;
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, options, (res) => {
      res.resume();
      res.on("end", () => resolvePromise(res.statusCode === 200 ? undefined : `answered ${res.statusCode}`));
      res.on("error", (error) => resolvePromise(messageOf(error)));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on("error", (error) => resolvePromise(messageOf(error)));
    req.end();
  });
}

/** A gRPC health check (`grpc.health.v1.Health/Check`, whole server) of `baseUrl`, on its own connection. */
export async function probeGrpcHealth(baseUrl: string): Promise<string | undefined> {
  const upstream = grpcUpstream(baseUrl);
  try {
    const health = grpcClient(Health, { upstream, timeoutMs: PROBE_TIMEOUT_MS });
    const { status } = await health.check({ service: "" });
    return status === ServingStatus.SERVING ? undefined : `health ${ServingStatus[status]}`;
  } catch (error) {
    return messageOf(error);
  } finally {
    upstream.close();
  }
}

/**
 * Every check of the cluster: each process on its own port (gRPC health, or the gateway's
 * /readyz), the orders load balancer (gRPC health through NGINX) and the edge
 * (`https://127.0.0.1:8443/readyz` through NGINX, trusting only `caPem`).
 */
export function readinessChecks(processes: readonly ClusterProcess[], caPem: string): ReadinessCheck[] {
  const checks: ReadinessCheck[] = processes.map((process) => {
    const base = `http://${CLUSTER_HOST}:${process.port}`;
    return process.protocol === "grpc"
      ? { name: `${process.name} (grpc ${CLUSTER_HOST}:${process.port})`, probe: () => probeGrpcHealth(base) }
      : { name: `${process.name} (${base}/readyz)`, probe: () => probeHttp(`${base}/readyz`) };
  });
  const balancer = `http://${CLUSTER_HOST}:${ORDERS_BALANCER_PORT}`;
  checks.push({ name: `orders load balancer (NGINX, grpc ${balancer})`, probe: () => probeGrpcHealth(balancer) });
  checks.push({ name: `edge (NGINX, ${EDGE_URL}/readyz)`, probe: () => probeHttp(`${EDGE_URL}/readyz`, caPem) });
  return checks;
}

/** What `waitUntilReady` found when time ran out. */
export interface NotReady {
  /** Each check that never passed, with its last answer. */
  readonly pending: readonly { name: string; reason: string }[];
}

/**
 * Probes every check every 250 ms until each has passed once (a passed check is not probed
 * again), for at most `timeoutMs`. `abort` is asked after each round: a string stops the wait
 * at once with that reason (e.g. a process that keeps crashing).
 *
 * @returns undefined when all passed; else what is still pending, or `{ aborted }`.
 */
export async function waitUntilReady(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
  abort: () => Promise<string | undefined>,
): Promise<NotReady | { aborted: string } | undefined> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Map(checks.map((check) => [check.name, { check, reason: "not probed yet" }]));
  for (;;) {
    await Promise.all(
      [...pending.values()].map(async (entry) => {
        const reason = await entry.check.probe();
        if (reason === undefined) pending.delete(entry.check.name);
        else entry.reason = reason;
      }),
    );
    if (pending.size === 0) return undefined;
    const aborted = await abort();
    if (aborted !== undefined) return { aborted };
    if (performance.now() >= deadline) {
      return { pending: [...pending.values()].map(({ check, reason }) => ({ name: check.name, reason })) };
    }
    await delay(250);
  }
}
