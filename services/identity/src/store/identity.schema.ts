import type { OutboxDatabase } from "@souk/messaging";
import type { ColumnType } from "kysely";
import type { Ed25519PrivateJwk } from "../domain/access-token.ts";

interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

interface RefreshTokensTable {
  token_hash: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

interface SigningKeysTable {
  kid: string;
  /** jsonb: read as an object, written as JSON text. */
  private_jwk: ColumnType<Ed25519PrivateJwk, string, never>;
  active: boolean;
  created_at: Date;
}

/** The `identity` schema as Kysely sees it (created by `migrations.ts`). */
export interface IdentityDatabase extends OutboxDatabase {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
}
