import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createPasswordHasher } from "../crypto/password.hasher.ts";
import { PASSWORD_HASHES_METRIC, registerIdentityMetrics } from "./identity.metrics.ts";

/** The gauge's value per state, as a scrape sees it. */
async function scrape(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(PASSWORD_HASHES_METRIC)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels["state"]), v.value]));
}

describe("souk_identity_password_hashes", () => {
  it("reports the hashes running and queued at scrape time", async () => {
    const registry = new Registry();
    const hasher = await createPasswordHasher({ maxConcurrent: 1 });
    registerIdentityMetrics(registry, hasher);
    expect(await scrape(registry)).toEqual({ running: 0, queued: 0 });

    const calls = [hasher.hash("a"), hasher.hash("b"), hasher.hash("c")];
    expect(await scrape(registry)).toEqual({ running: 1, queued: 2 });
    await Promise.all(calls);
    expect(await scrape(registry)).toEqual({ running: 0, queued: 0 });
  });

  it("refuses to register twice on one registry", async () => {
    const registry = new Registry();
    const hasher = await createPasswordHasher({ maxConcurrent: 1 });
    registerIdentityMetrics(registry, hasher);
    expect(() => registerIdentityMetrics(registry, hasher)).toThrow(/already been registered/);
  });
});
