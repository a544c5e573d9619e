import type { Kysely } from "kysely";
import type { SigningKey, SigningKeyStore } from "../domain/access-token.ts";
import type { IdentityDatabase } from "./identity.schema.ts";

/**
 * The signing key store port on PostgreSQL through Kysely. Private keys are stored as JWK in
 * a jsonb column, in clear: the identity schema must be readable only by the identity service.
 */
export function createSigningKeyStore(db: Kysely<IdentityDatabase>): SigningKeyStore {
  return {
    async list() {
      const rows = await db.selectFrom("signing_keys").selectAll().orderBy("created_at").orderBy("kid").execute();
      return rows.map((r): SigningKey => ({
        kid: r.kid,
        privateJwk: r.private_jwk,
        active: r.active,
        createdAt: r.created_at,
      }));
    },

    async insertActiveIfNone(key) {
      await db
        .insertInto("signing_keys")
        .values({ kid: key.kid, private_jwk: JSON.stringify(key.privateJwk), active: true, created_at: key.createdAt })
        // The partial unique index `signing_keys_one_active` is the arbiter.
        .onConflict((oc) => oc.column("active").where("active", "=", true).doNothing())
        .execute();
    },
  };
}
