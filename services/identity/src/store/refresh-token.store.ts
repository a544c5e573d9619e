import type { Kysely, Selectable } from "kysely";
import type { RefreshTokenState, RefreshTokenStore } from "../domain/refresh-token.ts";
import type { IdentityDatabase } from "./identity.schema.ts";

function toState(row: Selectable<IdentityDatabase["refresh_tokens"]>): RefreshTokenState {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    familyId: row.family_id,
    expiresAt: row.expires_at,
    usedAt: row.used_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
  };
}

/** The refresh token store port on PostgreSQL (PGlite or a server) through Kysely. */
export function createRefreshTokenStore(db: Kysely<IdentityDatabase>): RefreshTokenStore {
  return {
    async insert(token) {
      await db
        .insertInto("refresh_tokens")
        .values({
          token_hash: token.tokenHash,
          user_id: token.userId,
          family_id: token.familyId,
          expires_at: token.expiresAt,
          created_at: token.createdAt,
        })
        .execute();
    },

    async find(tokenHash) {
      const row = await db
        .selectFrom("refresh_tokens")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toState(row);
    },

    async rotate(tokenHash, now, replacement) {
      return db.transaction().execute(async (trx) => {
        // Compare-and-set: under READ COMMITTED a second concurrent UPDATE of the same row
        // waits for the first to commit, re-checks `used_at is null` and matches nothing.
        const spent = await trx
          .updateTable("refresh_tokens")
          .set({ used_at: now })
          .where("token_hash", "=", tokenHash)
          .where("used_at", "is", null)
          .where("revoked_at", "is", null)
          .where("expires_at", ">", now)
          .returningAll()
          .executeTakeFirst();
        if (spent === undefined) return undefined;
        await trx
          .insertInto("refresh_tokens")
          .values({
            token_hash: replacement.tokenHash,
            user_id: spent.user_id,
            family_id: spent.family_id,
            expires_at: replacement.expiresAt,
            created_at: now,
          })
          .execute();
        return toState(spent);
      });
    },

    async revokeFamily(familyId, now) {
      const result = await db
        .updateTable("refresh_tokens")
        .set({ revoked_at: now })
        .where("family_id", "=", familyId)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async deleteExpired(before, limit) {
      const result = await db
        .deleteFrom("refresh_tokens")
        .where("token_hash", "in", (eb) =>
          eb.selectFrom("refresh_tokens").select("token_hash").where("expires_at", "<", before).limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
