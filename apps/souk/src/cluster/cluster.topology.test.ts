import { describe, expect, test } from "vitest";
import { clusterProcesses, ecosystemOf, loadClusterConfig, upstreamUrls } from "./cluster.topology.ts";

const config = loadClusterConfig({});
const databaseUrl = (service: string) => `postgres://souk:souk@127.0.0.1:55432/${service}`;

describe("clusterProcesses", () => {
  const processes = clusterProcesses({ config, databaseUrl, redisUrl: "redis://127.0.0.1:56379" });
  const byName = (name: string) => {
    const found = processes.find((p) => p.name === name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };

  test("one process per service, two orders and two gateway replicas, each on its own port", () => {
    expect(processes.map((p) => `${p.name}:${p.port}`)).toEqual([
      "souk-identity:50051",
      "souk-catalog:50052",
      "souk-cart:50053",
      "souk-inventory:50054",
      "souk-payments:50055",
      "souk-notifications:50057",
      "souk-analytics:50058",
      "souk-orders-1:50056",
      "souk-orders-2:50066",
      "souk-gateway-1:8081",
      "souk-gateway-2:8082",
    ]);
    expect(new Set(processes.map((p) => p.port)).size).toBe(processes.length);
  });

  test("clients reach orders through NGINX's gRPC balancer and every other service directly", () => {
    expect(upstreamUrls()).toEqual({
      SOUK_IDENTITY_GRPC_URL: "http://127.0.0.1:50051",
      SOUK_CATALOG_GRPC_URL: "http://127.0.0.1:50052",
      SOUK_CART_GRPC_URL: "http://127.0.0.1:50053",
      SOUK_INVENTORY_GRPC_URL: "http://127.0.0.1:50054",
      SOUK_PAYMENTS_GRPC_URL: "http://127.0.0.1:50055",
      SOUK_ORDERS_GRPC_URL: "http://127.0.0.1:50060",
      SOUK_NOTIFICATIONS_GRPC_URL: "http://127.0.0.1:50057",
      SOUK_ANALYTICS_GRPC_URL: "http://127.0.0.1:50058",
    });
    expect(byName("souk-gateway-2").env).toMatchObject({
      PORT: "8082",
      SOUK_ORDERS_GRPC_URL: "http://127.0.0.1:50060",
      GATEWAY_PUBLIC_URL: "https://127.0.0.1:8443",
      LOG_LEVEL: "info",
      REDIS_URL: "redis://127.0.0.1:56379",
    });
  });

  test("each gRPC process gets its port and its own database; the gateway has none", () => {
    expect(byName("souk-orders-2").env).toMatchObject({
      GRPC_PORT: "50066",
      ORDERS_DATABASE_URL: "postgres://souk:souk@127.0.0.1:55432/orders",
    });
    expect(byName("souk-catalog").env).toMatchObject({
      CATALOG_DATABASE_URL: expect.stringMatching(/\/catalog$/) as unknown,
    });
    expect(Object.keys(byName("souk-gateway-1").env).filter((key) => key.endsWith("DATABASE_URL"))).toEqual([]);
  });

  test("each process's Kafka static member id is its pm2 name, unique in the cluster", () => {
    const processes = clusterProcesses({ config, databaseUrl: () => undefined, redisUrl: undefined });
    for (const p of processes) expect(p.env.SOUK_INSTANCE_ID, p.name).toBe(p.name);
    expect(new Set(processes.map((p) => p.env.SOUK_INSTANCE_ID)).size).toBe(processes.length);
  });

  test("a database URL the operator set wins (none is added)", () => {
    const own = clusterProcesses({ config, databaseUrl: () => undefined, redisUrl: undefined });
    expect(own.find((p) => p.name === "souk-cart")?.env).not.toHaveProperty("CART_DATABASE_URL");
    expect(own.find((p) => p.name === "souk-cart")?.env).not.toHaveProperty("REDIS_URL");
  });
});

describe("ecosystemOf", () => {
  test("every app is `node <bundle> start <service>` in fork mode, restarted, drained before SIGKILL", () => {
    const drainFast = loadClusterConfig({ SOUK_SHUTDOWN_TIMEOUT_MS: "4000" });
    const processes = clusterProcesses({ config: drainFast, databaseUrl, redisUrl: undefined });
    const { apps } = ecosystemOf(processes, drainFast, {
      repoRoot: "/repo",
      script: "/repo/dist/souk/main.js",
      node: "/repo/node_modules/.bin/node",
      logsDir: "/state/logs/cluster",
    });
    expect(apps).toHaveLength(11);
    expect(apps.find((app) => app.name === "souk-orders-1")).toMatchObject({
      name: "souk-orders-1",
      script: "/repo/dist/souk/main.js",
      args: ["start", "orders"],
      interpreter: "/repo/node_modules/.bin/node",
      cwd: "/repo",
      exec_mode: "fork",
      autorestart: true,
      kill_timeout: 9_000,
      out_file: "/state/logs/cluster/souk-orders-1.out.log",
      error_file: "/state/logs/cluster/souk-orders-1.error.log",
      env: { GRPC_PORT: "50056", SOUK_SHUTDOWN_TIMEOUT_MS: "4000" },
    });
  });
});

describe("ecosystemOf: Node settings of every process", () => {
  test("bounded young generation, gc exposed, compile cache, malloc tuning, no pm2 source maps; the process's own variables win", () => {
    const processes = clusterProcesses({ config, databaseUrl, redisUrl: undefined });
    const { apps } = ecosystemOf(processes, config, {
      repoRoot: "/repo",
      script: "/repo/dist/souk/main.js",
      node: "/node",
      logsDir: "/logs",
    });
    for (const app of apps) {
      expect(app.node_args).toEqual(["--max-semi-space-size=8", "--expose-gc", "--no-sparkplug"]);
      expect(app.env["NODE_COMPILE_CACHE"]).toMatch(/node-compile-cache$/);
      expect(app.env["MALLOC_ARENA_MAX"]).toBe("2");
      expect(app.env["MALLOC_TRIM_THRESHOLD_"]).toBe("131072");
      expect(app.env["disable_source_map_support"]).toBe("true");
    }
    const [first] = ecosystemOf([{ ...processes[0]!, env: { NODE_COMPILE_CACHE: "/mine" } }], config, {
      repoRoot: "/repo",
      script: "/repo/dist/souk/main.js",
      node: "/node",
      logsDir: "/logs",
    }).apps;
    expect(first?.env["NODE_COMPILE_CACHE"]).toBe("/mine");
  });
});

describe("loadClusterConfig", () => {
  test("defaults, and a bad variable is named", () => {
    expect(config).toEqual({ LOG_LEVEL: "info", SOUK_SHUTDOWN_TIMEOUT_MS: 10_000, SOUK_UP_TIMEOUT_MS: 90_000 });
    expect(() => loadClusterConfig({ SOUK_UP_TIMEOUT_MS: "soon" })).toThrow(/SOUK_UP_TIMEOUT_MS/);
    expect(() => loadClusterConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
});
