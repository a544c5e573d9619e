import type { Clock } from "@souk/platform";
import type { RefreshTokenStore } from "../domain/refresh-token.ts";

/**
 * The sweeper: deletes refresh tokens that expired more than `retentionSeconds` ago, in
 * batches of `batchSize`, and returns how many it deleted. Expired tokens are kept for a
 * while so that a spent one presented soon after its expiry is still recognized as reuse
 * (and revokes its family) instead of merely unknown.
 */
export function purgeExpiredRefreshTokens(refreshTokens: RefreshTokenStore, clock: Clock, retentionSeconds: number) {
  return async (batchSize = 1000): Promise<number> => {
    const before = new Date(clock().getTime() - retentionSeconds * 1000);
    let purged = 0;
    for (;;) {
      const deleted = await refreshTokens.deleteExpired(before, batchSize);
      purged += deleted;
      if (deleted < batchSize) return purged;
    }
  };
}
