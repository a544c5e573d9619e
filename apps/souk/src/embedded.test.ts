import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@souk/platform";
import { capturedLogger, waitFor } from "@souk/platform/testing";
import { EmbeddedConfig } from "./config.ts";
import { EMBEDDED_LEVEL_CACHE_TTL_MS, embeddedEnvironment, startEmbedded } from "./embedded.ts";

describe("embeddedEnvironment", () => {
  it("defaults the stock-level cache to a minute and analytics rebuilds to off", () => {
    const config = loadConfig(EmbeddedConfig, embeddedEnvironment({}));
    expect(EMBEDDED_LEVEL_CACHE_TTL_MS).toBe(60_000);
    expect(config.INVENTORY_LEVEL_CACHE_TTL_MS).toBe(60_000);
    expect(config.ANALYTICS_REBUILD_ENABLED).toBe(false);
  });

  it("keeps what the environment sets, and leaves the given object alone", () => {
    const env = { INVENTORY_LEVEL_CACHE_TTL_MS: "0", ANALYTICS_REBUILD_ENABLED: "true", PORT: "9090" };
    const config = loadConfig(EmbeddedConfig, embeddedEnvironment(env));
    expect(config.INVENTORY_LEVEL_CACHE_TTL_MS).toBe(0);
    expect(config.ANALYTICS_REBUILD_ENABLED).toBe(true);
    expect(config.PORT).toBe(9090);
    expect(env).toEqual({ INVENTORY_LEVEL_CACHE_TTL_MS: "0", ANALYTICS_REBUILD_ENABLED: "true", PORT: "9090" });
  });
});

describe("the embedded store's vacuum rotation", () => {
  /** A store on `memory://` logging into `lines`, with `SOUK_VACUUM_INTERVAL_MS` = `interval`. */
  async function storeLogging(interval: string) {
    const { logger, lines } = capturedLogger("debug");
    const souk = await startEmbedded({
      port: 0,
      dataDir: "memory://",
      seedCount: 20,
      env: { HOST: "127.0.0.1", SOUK_VACUUM_INTERVAL_MS: interval },
      logger,
    });
    return { souk, lines };
  }
  const rounds = (lines: Record<string, unknown>[]) => lines.filter((l) => l["msg"] === "vacuumed every table once");

  it("vacuums every table of every service's schema, one at a time, and stops with the store", async () => {
    const { souk, lines } = await storeLogging("5");
    try {
      await waitFor(() => rounds(lines).length > 0, { timeoutMs: 20_000, intervalMs: 50, message: "a vacuum round" });
    } finally {
      await souk.stop();
    }
    const [round] = rounds(lines);
    expect(round?.["tables"]).toBeGreaterThanOrEqual(50);
    const vacuumed = new Set(lines.filter((l) => l["msg"] === "vacuumed").map((l) => String(l["table"]).split(".")[0]));
    for (const schema of [
      "catalog",
      "cart",
      "identity",
      "inventory",
      "orders",
      "payments",
      "notifications",
      "analytics",
    ]) {
      expect(vacuumed).toContain(schema);
    }
    expect(lines.filter((l) => l["msg"] === "vacuum failed; the rotation goes on")).toEqual([]);
  });

  it("never vacuums with SOUK_VACUUM_INTERVAL_MS=0", async () => {
    const { souk, lines } = await storeLogging("0");
    await sleep(300);
    await souk.stop();
    expect(lines.filter((l) => l["msg"] === "vacuumed")).toEqual([]);
  });
});
