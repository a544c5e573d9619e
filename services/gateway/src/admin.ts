import { timingSafeEqual, createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { SoukError, unauthenticated } from "@souk/platform";

/** No admin token configured: the admin API is off. */
export const ADMIN_DISABLED = "ADMIN_DISABLED";
/** The admin bearer token is missing or wrong. */
export const ADMIN_UNAUTHENTICATED = "ADMIN_UNAUTHENTICATED";

/** Guards `/v1/admin/*`: operators authenticate with a static bearer token (`GATEWAY_ADMIN_TOKEN`). */
export interface AdminAuth {
  /**
   * Fastify `onRequest` hook for admin routes.
   * @throws SoukError permission_denied ADMIN_DISABLED when no token is configured;
   *   unauthenticated ADMIN_UNAUTHENTICATED when `Authorization: Bearer <token>` is missing or wrong.
   */
  readonly requireAdmin: (request: FastifyRequest) => Promise<void>;
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/**
 * Admin authentication by a shared secret compared in constant time (both sides hashed to
 * 32 bytes first, so neither length nor content leaks through timing). An empty `token`
 * disables the admin API.
 */
export function createAdminAuth(token: string): AdminAuth {
  const expected = token === "" ? undefined : digest(token);
  return {
    async requireAdmin(request) {
      if (expected === undefined) {
        throw new SoukError("permission_denied", ADMIN_DISABLED, "the admin API is disabled (set GATEWAY_ADMIN_TOKEN)");
      }
      const header = request.headers.authorization ?? "";
      const match = /^Bearer +(\S+) *$/i.exec(header);
      if (match === null || !timingSafeEqual(digest(match[1] ?? ""), expected)) {
        throw unauthenticated(ADMIN_UNAUTHENTICATED, "admin routes need Authorization: Bearer <GATEWAY_ADMIN_TOKEN>");
      }
    },
  };
}
