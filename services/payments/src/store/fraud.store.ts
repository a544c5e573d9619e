import { sql, type Kysely } from "kysely";
import type { BlockedCardStore, VelocityCounter } from "../domain/fraud.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

/** The card block list in the `blocked_cards` table. */
export function createBlockedCardStore(db: Kysely<PaymentsDatabase>): BlockedCardStore {
  return {
    async isBlocked(fingerprint) {
      const row = await db
        .selectFrom("blocked_cards")
        .select("fingerprint")
        .where("fingerprint", "=", fingerprint)
        .executeTakeFirst();
      return row !== undefined;
    },
    async block(fingerprint, reason, at) {
      await db
        .insertInto("blocked_cards")
        .values({ fingerprint, reason, blocked_at: at })
        .onConflict((oc) => oc.column("fingerprint").doNothing())
        .execute();
    },
  };
}

/**
 * The velocity counter on PostgreSQL: one row per attempt in `velocity_attempts`, keyed by
 * (user, attempt) so recording an attempt twice counts it once. Each call also forgets the
 * user's attempts that fell out of the window, keeping the table as small as the traffic of
 * one window.
 */
export function createPostgresVelocityCounter(db: Kysely<PaymentsDatabase>): VelocityCounter {
  return {
    async recordAttempt(userId, attemptId, at, windowMs) {
      const windowStart = new Date(at.getTime() - windowMs);
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto("velocity_attempts")
          .values({ user_id: userId, attempt_id: attemptId, attempted_at: at })
          .onConflict((oc) => oc.columns(["user_id", "attempt_id"]).doNothing())
          .execute();
        await trx
          .deleteFrom("velocity_attempts")
          .where("user_id", "=", userId)
          .where("attempted_at", "<=", windowStart)
          .where("attempt_id", "<>", attemptId)
          .execute();
        const row = await trx
          .selectFrom("velocity_attempts")
          .select(sql<number>`count(*)::int4`.as("attempts"))
          .where("user_id", "=", userId)
          .where("attempted_at", ">", windowStart)
          .where("attempted_at", "<=", at)
          .executeTakeFirstOrThrow();
        return row.attempts;
      });
    },
  };
}
