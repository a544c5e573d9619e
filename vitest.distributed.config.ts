import { defineConfig } from "vitest/config";

/**
 * The proofs of the distributed topology (test/e2e/distributed): each file brings the local
 * cluster (`npm run up`: fixed ports, one pm2) up and down, so files run one at a time.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/distributed/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
