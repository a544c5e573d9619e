import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@souk/platform";
import {
  databaseUrlOf,
  DEFAULT_GRPC_PORTS,
  DistributedConfig,
  grpcPortOf,
  isProcessName,
  metricsPortOf,
  SERVICE_NAMES,
  UPSTREAMS,
  upstreamOf,
} from "./config.ts";

const load = (env: Record<string, string> = {}) => loadConfig(DistributedConfig, env);

describe("distributed configuration", () => {
  it("gives each service a fixed gRPC port, overridden by GRPC_PORT", () => {
    expect(Object.values(DEFAULT_GRPC_PORTS)).toEqual([50051, 50052, 50053, 50054, 50055, 50056, 50057, 50058]);
    expect(grpcPortOf("orders", load())).toBe(50056);
    expect(grpcPortOf("orders", load({ GRPC_PORT: "6000" }))).toBe(6000);
    expect(grpcPortOf("orders", load({ GRPC_PORT: "0" }))).toBe(0);
  });

  it("serves metrics on METRICS_PORT, else the gRPC port + 1000, else any free port when gRPC takes any", () => {
    expect(metricsPortOf("orders", load())).toBe(51056);
    expect(metricsPortOf("orders", load({ GRPC_PORT: "6000" }))).toBe(7000);
    expect(metricsPortOf("orders", load({ GRPC_PORT: "0" }))).toBe(0);
    expect(metricsPortOf("orders", load({ GRPC_PORT: "0", METRICS_PORT: "9464" }))).toBe(9464);
  });

  it("resolves a database as <NAME>_DATABASE_URL, then DATABASE_URL, then the `npm run services` default", () => {
    expect(databaseUrlOf("orders", load())).toBe("postgres://souk:souk@127.0.0.1:55432/orders");
    const shared = load({ DATABASE_URL: "postgres://u:p@db:5432/souk" });
    expect(databaseUrlOf("orders", shared)).toBe("postgres://u:p@db:5432/souk");
    const own = load({ DATABASE_URL: "postgres://u:p@db:5432/souk", ORDERS_DATABASE_URL: "postgresql://o@db/orders" });
    expect(databaseUrlOf("orders", own)).toBe("postgresql://o@db/orders");
    expect(databaseUrlOf("cart", own)).toBe("postgres://u:p@db:5432/souk");
  });

  it("finds upstreams at SOUK_<NAME>_GRPC_URL (default: loopback and the fixed port) with a deadline each", () => {
    const defaults = load();
    for (const name of SERVICE_NAMES) {
      expect(upstreamOf(name, defaults).url).toBe(`http://127.0.0.1:${DEFAULT_GRPC_PORTS[name]}`);
    }
    expect(upstreamOf("inventory", defaults).timeoutMs).toBe(2_000);
    expect(upstreamOf("orders", defaults).timeoutMs).toBeGreaterThan(defaults.ORDERS_CHECKOUT_WAIT_MS);
    const set = load({ SOUK_INVENTORY_GRPC_URL: "http://inventory:50054", SOUK_INVENTORY_GRPC_TIMEOUT_MS: "500" });
    expect(upstreamOf("inventory", set)).toEqual({ url: "http://inventory:50054", timeoutMs: 500 });
  });

  it("names every bad variable at once", () => {
    try {
      load({ SOUK_CART_GRPC_URL: "cart:50053", ORDERS_DATABASE_URL: "mysql://x", GRPC_PORT: "-1" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect([...(error as ConfigError).variables].sort()).toEqual(
        ["GRPC_PORT", "ORDERS_DATABASE_URL", "SOUK_CART_GRPC_URL"].sort(),
      );
    }
  });

  it("knows the processes and who calls whom", () => {
    expect(isProcessName("gateway")).toBe(true);
    expect(isProcessName("inventory")).toBe(true);
    expect(isProcessName("analytics")).toBe(true);
    expect(isProcessName("shipping")).toBe(false);
    expect(UPSTREAMS.cart).toEqual(["catalog", "inventory"]);
    expect(UPSTREAMS.orders).toEqual(["cart", "inventory", "payments"]);
    expect(UPSTREAMS.notifications).toEqual(["identity"]);
  });
});
