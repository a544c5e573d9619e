import { describe, expect, it } from "vitest";
import { loadConfig } from "@souk/platform";
import { EmbeddedConfig } from "./config.ts";
import { EMBEDDED_LEVEL_CACHE_TTL_MS, embeddedEnvironment } from "./embedded.ts";

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
