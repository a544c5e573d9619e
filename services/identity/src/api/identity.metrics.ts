import { Gauge, type Registry } from "prom-client";
import type { Argon2PasswordHasher } from "../crypto/password.hasher.ts";

/** The gauge's name: password hashes and verifications by `state` (`running` or `queued`). */
export const PASSWORD_HASHES_METRIC = "souk_identity_password_hashes";

/**
 * Registers `souk_identity_password_hashes{state="running"|"queued"}` on `registry` (the process's,
 * served at `GET /metrics`), read from `hasher.load()` at scrape time: the argon2id hashes and
 * verifications running now, and those waiting for a turn (sign-ups and sign-ins queue there when
 * they outrun the CPUs; see `createPasswordHasher`).
 *
 * @throws Error from prom-client when the name is already registered on `registry`.
 */
export function registerIdentityMetrics(registry: Registry, hasher: Argon2PasswordHasher): void {
  new Gauge({
    name: PASSWORD_HASHES_METRIC,
    help: "argon2id password hashes and verifications, running and waiting for a turn",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const { running, queued } = hasher.load();
      this.set({ state: "running" }, running);
      this.set({ state: "queued" }, queued);
    },
  });
}
