import { sql, type Kysely } from "kysely";
import { prepareQuery } from "@souk/platform";
import type { BlockedCardStore, VelocityCounter } from "../domain/fraud.ts";
import type { PaymentsDatabase } from "./payments.tables.ts";

/** One attempt of a user's, inside the velocity window that ends at `at`. */
interface VelocityAttempt {
  readonly userId: string;
  readonly attemptId: string;
  readonly at: Date;
  readonly windowStart: Date;
}

const blockedCard = prepareQuery((db: Kysely<PaymentsDatabase>, p: { fingerprint: string }) =>
  db.selectFrom("blocked_cards").select("fingerprint").where("fingerprint", "=", p.fingerprint),
);

const recordVelocityAttempt = prepareQuery((db: Kysely<PaymentsDatabase>, p: VelocityAttempt) =>
  db
    .insertInto("velocity_attempts")
    .values({ user_id: p.userId, attempt_id: p.attemptId, attempted_at: p.at })
    .onConflict((oc) => oc.columns(["user_id", "attempt_id"]).doNothing()),
);

/** Forgets the user's attempts that left the window (but never this one). */
const forgetVelocityAttempts = prepareQuery((db: Kysely<PaymentsDatabase>, p: VelocityAttempt) =>
  db
    .deleteFrom("velocity_attempts")
    .where("user_id", "=", p.userId)
    .where("attempted_at", "<=", p.windowStart)
    .where("attempt_id", "<>", p.attemptId),
);

const countVelocityAttempts = prepareQuery((db: Kysely<PaymentsDatabase>, p: VelocityAttempt) =>
  db
    .selectFrom("velocity_attempts")
    .select(sql<number>`count(*)::int4`.as("attempts"))
    .where("user_id", "=", p.userId)
    .where("attempted_at", ">", p.windowStart)
    .where("attempted_at", "<=", p.at),
);

/** The card block list in the `blocked_cards` table. */
export function createBlockedCardStore(db: Kysely<PaymentsDatabase>): BlockedCardStore {
  return {
    async isBlocked(fingerprint) {
      return (await blockedCard.first(db, { fingerprint })) !== undefined;
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
        const attempt = { userId, attemptId, at, windowStart };
        await recordVelocityAttempt.affected(trx, attempt);
        await forgetVelocityAttempts.affected(trx, attempt);
        return (await countVelocityAttempts.first(trx, attempt))?.attempts ?? 0;
      });
    },
  };
}
