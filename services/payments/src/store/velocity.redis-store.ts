import { isRedisUnavailableError, unavailable, type Redis } from "@souk/platform";
import type { VelocityCounter } from "../domain/fraud.ts";

/**
 * The velocity counter on Redis: one sorted set per user (`payments:velocity:{userId}`) whose
 * members are attempt ids scored by the attempt's time in clock milliseconds. One MULTI per
 * attempt, atomic against concurrent attempts of the user:
 * 1. `ZADD NX` records the attempt (NX: recording it again keeps its first time — idempotent);
 * 2. `ZREMRANGEBYSCORE -inf windowStart` forgets attempts that left the window, keeping the set
 *    as small as one window's traffic;
 * 3. `ZCOUNT (windowStart at` counts the attempts in `(at − windowMs, at]`, this one included;
 * 4. `PEXPIRE windowMs` lets the set of a user who stopped paying vanish with its window.
 *
 * Same answers as the PostgreSQL counter. One difference of bookkeeping: an attempt recorded
 * again after its first time left the window is forgotten here (and so counted anew if recorded
 * a third time), where PostgreSQL keeps its row; a recovery would have to resume an
 * authorization a whole window late for that to matter.
 *
 * @throws SoukError unavailable PAYMENTS_VELOCITY_UNAVAILABLE when Redis cannot be reached.
 */
export function createRedisVelocityCounter(redis: Redis): VelocityCounter {
  return {
    async recordAttempt(userId, attemptId, at, windowMs) {
      const key = `payments:velocity:{${userId}}`;
      const atMs = at.getTime();
      const windowStartMs = atMs - windowMs;
      let replies: [error: Error | null, result: unknown][] | null;
      try {
        replies = await redis
          .multi()
          .zadd(key, "NX", atMs, attemptId)
          .zremrangebyscore(key, "-inf", windowStartMs)
          .zcount(key, `(${windowStartMs}`, atMs)
          .pexpire(key, windowMs)
          .exec();
      } catch (error) {
        if (!isRedisUnavailableError(error)) throw error;
        throw unavailable("PAYMENTS_VELOCITY_UNAVAILABLE", "the fraud velocity counter is unavailable", error);
      }
      if (replies === null) throw new Error("redis transaction was aborted");
      const failed = replies.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      return Number(replies[2]?.[1]);
    },
  };
}
