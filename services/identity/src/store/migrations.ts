import { outboxMigration } from "@souk/messaging";
import { sql, type Kysely, type Migration } from "kysely";

/** Forward-only migrations of the `identity` schema, applied in name order at startup. */
export const identityMigrations: Record<string, Migration> = {
  "0001_users_refresh_tokens_signing_keys": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("users")
        .addColumn("id", "uuid", (c) => c.primaryKey())
        // Stored normalized (trimmed, lowercased); the check keeps a careless writer honest,
        // and the unique constraint is what settles two concurrent registrations.
        .addColumn("email", "text", (c) => c.notNull().check(sql`email = lower(btrim(email))`))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addUniqueConstraint("users_email_unique", ["email"])
        .execute();

      await db.schema
        .createTable("refresh_tokens")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("family_id", "uuid", (c) => c.notNull())
        .addColumn("expires_at", "timestamptz", (c) => c.notNull())
        .addColumn("used_at", "timestamptz")
        .addColumn("revoked_at", "timestamptz")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("refresh_tokens_family").on("refresh_tokens").column("family_id").execute();
      await db.schema.createIndex("refresh_tokens_user").on("refresh_tokens").column("user_id").execute();
      await db.schema.createIndex("refresh_tokens_expiry").on("refresh_tokens").column("expires_at").execute();

      await db.schema
        .createTable("signing_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("private_jwk", "jsonb", (c) => c.notNull())
        .addColumn("active", "boolean", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .execute();
      // At most one active key: concurrent first starts converge on one (the loser's insert
      // conflicts and it reads the winner's key).
      await db.schema
        .createIndex("signing_keys_one_active")
        .on("signing_keys")
        .column("active")
        .unique()
        .where(sql.ref("active"), "=", true)
        .execute();
    },
  },
  "0100_outbox": outboxMigration,
};
