import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The process's Prometheus registry with Node runtime metrics (event loop lag, heap, GC)
 * and the RED metrics of HTTP routes and service calls. Served as text at `GET /metrics`.
 */
export interface Metrics {
  readonly registry: Registry;
  /** HTTP requests by method, route template and status code. */
  readonly httpRequests: Counter<"method" | "route" | "status">;
  /** HTTP request duration in seconds by method, route template and status code. */
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  /** Service (RPC) calls by service, method and outcome code (`ok` or a gRPC code name). */
  readonly rpcCalls: Counter<"service" | "method" | "code">;
  /** Service (RPC) call duration in seconds. */
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
}

/** Creates a fresh registry (one per process; tests may create several). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    httpRequests: new Counter({
      name: "souk_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "souk_http_request_duration_seconds",
      help: "HTTP request duration in seconds",
      labelNames: ["method", "route", "status"],
      buckets,
      registers: [registry],
    }),
    rpcCalls: new Counter({
      name: "souk_rpc_calls_total",
      help: "Service calls by service, method and outcome",
      labelNames: ["service", "method", "code"],
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: "souk_rpc_duration_seconds",
      help: "Service call duration in seconds",
      labelNames: ["service", "method", "code"],
      buckets,
      registers: [registry],
    }),
  };
}
