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
    // Every simulated customer comes from one client IP (127.0.0.1 behind NGINX) and the gateway's
    // per-IP counter lives in Redis across the files (and the e2e run before them): at the default
    // 1,200 per minute a fast machine refuses the tests' sign-ups with 429. The limiter has its own
    // tests (services/gateway); `npm run test:distributed` exports the same value for its `up`.
    env: { GATEWAY_RATE_LIMIT_PER_IP: "1000000" },
  },
});
