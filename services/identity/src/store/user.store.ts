import type { Kysely, Selectable } from "kysely";
import { emailTaken, type User, type UserStore, type UserWithCredentials } from "../domain/user.ts";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { appendToOutbox, EVENTS, newEvent } from "@souk/messaging";
import type { IdentityDatabase } from "./identity.schema.ts";
import { prepareQuery } from "@souk/platform";

const userById = prepareQuery((db: Kysely<IdentityDatabase>, p: { id: string }) =>
  db.selectFrom("users").select(["id", "email", "name", "created_at"]).where("id", "=", p.id),
);

/** SQLSTATE unique_violation (PostgreSQL Appendix A). */
const UNIQUE_VIOLATION = "23505";

function isUniqueViolationOf(error: unknown, constraint: string): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && violated === constraint;
}

type UserRow = Selectable<IdentityDatabase["users"]>;

function toUser(row: Pick<UserRow, "id" | "email" | "name" | "created_at">): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
}

/**
 * The user store port on PostgreSQL (PGlite or a server) through Kysely. A registration writes
 * `souk.user.registered.v1` to the outbox in its transaction; `onOutboxWritten` runs after the commit.
 */
export function createUserStore(db: Kysely<IdentityDatabase>, onOutboxWritten: () => void = () => {}): UserStore {
  return {
    async insert(user: UserWithCredentials) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto("users")
            .values({
              id: user.id,
              email: user.email,
              name: user.name,
              password_hash: user.passwordHash,
              created_at: user.createdAt,
              updated_at: user.createdAt,
            })
            .execute();
          await appendToOutbox(trx, [
            newEvent(
              EVENTS.userRegistered,
              { userId: user.id, email: user.email, name: user.name, registeredAt: timestampFromDate(user.createdAt) },
              { source: "/souk/identity", subject: user.id, time: user.createdAt },
            ),
          ]);
        });
        onOutboxWritten();
      } catch (error) {
        // The unique constraint, not the use case's pre-check, is what decides a race
        // between two registrations of one address.
        if (isUniqueViolationOf(error, "users_email_unique")) {
          throw emailTaken();
        }
        throw error;
      }
    },

    async findById(id) {
      const row = await userById.first(db, { id });
      return row === undefined ? undefined : toUser(row);
    },

    async findByEmail(email) {
      const row = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
      return row === undefined ? undefined : { ...toUser(row), passwordHash: row.password_hash };
    },

    async updatePasswordHash(userId, passwordHash, now) {
      await db
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: now })
        .where("id", "=", userId)
        .execute();
    },
  };
}
