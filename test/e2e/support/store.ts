import { startEmbedded } from "../../../apps/souk/src/embedded.ts";
import { createApi, type Api } from "./http.ts";

/** A running embedded store and a client of its public API. */
export interface TestStore {
  readonly api: Api;
  stop(): Promise<void>;
}

/**
 * Starts the whole store in this process on an in-memory PGlite (every service + the gateway,
 * seeded with `seedCount` products), listening on an ephemeral port. Logs are silent unless
 * SOUK_TEST_LOG_LEVEL is set. `env` overrides configuration (e.g. fraud limits).
 */
export async function startTestStore(
  options: { seedCount?: number; env?: Record<string, string> } = {},
): Promise<TestStore> {
  const souk = await startEmbedded({
    port: 0,
    dataDir: "memory://",
    seedCount: options.seedCount ?? 300,
    env: { LOG_LEVEL: process.env["SOUK_TEST_LOG_LEVEL"] ?? "silent", HOST: "127.0.0.1", ...options.env },
  });
  return { api: createApi(souk.baseUrl), stop: () => souk.stop() };
}
