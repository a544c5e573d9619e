import { startEmbedded } from "../../../apps/souk/src/embedded.ts";
import { createApi, type Api } from "./http.ts";

/** A running store and a client of its public API. */
export interface TestStore {
  readonly api: Api;
  stop(): Promise<void>;
}

/**
 * Which topology the end-to-end suite drives (`SOUK_TEST_TOPOLOGY`):
 * - `embedded` (default): each test file starts the whole store in this process on an
 *   in-memory PGlite, listening on an ephemeral port;
 * - `distributed`: the files share the running cluster (`npm run up`: one process per service
 *   over gRPC, PostgreSQL, Redis) through NGINX at `SOUK_TEST_BASE_URL`
 *   (default https://127.0.0.1:8443; its development CA is trusted through NODE_EXTRA_CA_CERTS,
 *   which `npm run test:distributed` sets).
 */
export const TOPOLOGY = process.env["SOUK_TEST_TOPOLOGY"] ?? "embedded";

/**
 * Starts (embedded) or connects to (distributed) the store under test. Embedded stores are
 * seeded with `seedCount` products and silent unless SOUK_TEST_LOG_LEVEL is set.
 */
export async function startTestStore(options: { seedCount?: number } = {}): Promise<TestStore> {
  if (TOPOLOGY === "distributed") {
    const baseUrl = process.env["SOUK_TEST_BASE_URL"] ?? "https://127.0.0.1:8443";
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      (error: unknown) => {
        throw new Error(`the distributed store at ${baseUrl} does not answer: run \`npm run up\` first`, {
          cause: error,
        });
      },
    );
    if (!ready) throw new Error(`the distributed store at ${baseUrl} is not ready`);
    return { api: createApi(baseUrl), stop: async () => {} };
  }
  if (TOPOLOGY !== "embedded") throw new Error(`SOUK_TEST_TOPOLOGY must be embedded or distributed, not ${TOPOLOGY}`);
  const souk = await startEmbedded({
    port: 0,
    dataDir: "memory://",
    seedCount: options.seedCount ?? 300,
    env: { LOG_LEVEL: process.env["SOUK_TEST_LOG_LEVEL"] ?? "silent", HOST: "127.0.0.1" },
  });
  return { api: createApi(souk.baseUrl), stop: () => souk.stop() };
}
