import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "services/*/src/**/*.test.ts",
      "apps/*/src/**/*.test.ts",
      "bench/src/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // The distributed proofs bring the one local cluster up and down: they run on their own,
    // one file at a time (vitest.distributed.config.ts, from `npm run test:distributed`).
    exclude: ["**/node_modules/**", "test/e2e/distributed/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // PGlite is CPU-bound WASM; two workers match the two cores CI has.
    maxWorkers: 2,
  },
});
