import { createHash } from "node:crypto";
import { unauthenticated, type SoukError } from "@souk/platform";

/**
 * Refresh tokens are opaque: 32 random bytes (256 bits), base64url-encoded without padding
 * (43 characters). Only their SHA-256 is stored: with 256 bits of entropy a fast hash is
 * enough (nothing to brute-force), and a leaked table cannot be replayed.
 */
export const REFRESH_TOKEN_BYTES = 32;

/** A source of fresh refresh token secrets (`REFRESH_TOKEN_BYTES` random bytes, base64url). */
export type SecretGenerator = () => string;

const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** True when `token` has the shape of a refresh token Souk issues (cheap pre-check before a lookup). */
export function isWellFormedRefreshToken(token: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(token);
}

/** The stored form of a refresh token: its SHA-256 as 64 lowercase hex characters. */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The stored state of one refresh token. All tokens rotated from one login share a
 * `familyId` (a UUIDv7), so reuse of any of them can revoke the whole chain.
 */
export interface RefreshTokenState {
  readonly tokenHash: string;
  readonly userId: string;
  readonly familyId: string;
  readonly expiresAt: Date;
  /** When the token was exchanged for a new pair; set once. */
  readonly usedAt: Date | undefined;
  /** When the token's family was revoked; set once. */
  readonly revokedAt: Date | undefined;
}

/** A refresh token to hand out: the secret for the client and what the store keeps. */
export interface MintedRefreshToken {
  readonly token: string;
  readonly tokenHash: string;
  readonly expiresAt: Date;
}

/** Builds a refresh token from a fresh `secret`, valid for `ttlSeconds` from `now`. */
export function mintRefreshToken(secret: string, now: Date, ttlSeconds: number): MintedRefreshToken {
  return { token: secret, tokenHash: hashRefreshToken(secret), expiresAt: new Date(now.getTime() + ttlSeconds * 1000) };
}

/**
 * What presenting a refresh token at `now` means (RFC 6819 §5.2.2.3; OAuth 2.0 Security
 * BCP, RFC 9700 §4.14.2, refresh token rotation):
 * - "rotate": unused, unrevoked, unexpired — spend it and issue a new pair;
 * - "reuse": it was already exchanged, so two parties hold it (one of them a thief) — revoke
 *   its family. Checked before expiry: an old spent token coming back is still a theft signal;
 * - "invalid": unknown, revoked or expired.
 */
export function decideRefresh(token: RefreshTokenState | undefined, now: Date): "rotate" | "reuse" | "invalid" {
  if (token === undefined) return "invalid";
  if (token.usedAt !== undefined) return "reuse";
  if (token.revokedAt !== undefined) return "invalid";
  if (token.expiresAt.getTime() <= now.getTime()) return "invalid";
  return "rotate";
}

/** unauthenticated IDENTITY_INVALID_REFRESH_TOKEN: the token is unknown, expired or revoked. */
export function invalidRefreshToken(): SoukError {
  return unauthenticated("IDENTITY_INVALID_REFRESH_TOKEN", "the refresh token is invalid, expired or revoked");
}

/** unauthenticated IDENTITY_REFRESH_TOKEN_REUSED: a spent token came back; its whole family is now revoked. */
export function refreshTokenReused(): SoukError {
  return unauthenticated(
    "IDENTITY_REFRESH_TOKEN_REUSED",
    "the refresh token was already used; every token of this session is revoked, sign in again",
  );
}

/** Ports the token use cases need for refresh tokens; implemented in `store/refresh-token.store.ts`. */
export interface RefreshTokenStore {
  /** Stores the first token of a new family (a login). */
  insert(token: {
    tokenHash: string;
    userId: string;
    familyId: string;
    expiresAt: Date;
    createdAt: Date;
  }): Promise<void>;
  /** The token whose hash is `tokenHash`, or undefined. */
  find(tokenHash: string): Promise<RefreshTokenState | undefined>;
  /**
   * In one transaction, marks the token `tokenHash` used at `now` — only if it is still
   * unused, unrevoked and unexpired at `now` (a compare-and-set, so of two concurrent
   * rotations exactly one wins) — and stores `replacement` in the same family and for the
   * same user. Returns the spent token, or undefined when the compare-and-set failed.
   */
  rotate(
    tokenHash: string,
    now: Date,
    replacement: { tokenHash: string; expiresAt: Date },
  ): Promise<RefreshTokenState | undefined>;
  /** Revokes every not yet revoked token of `familyId` at `now`; returns how many. */
  revokeFamily(familyId: string, now: Date): Promise<number>;
  /** Deletes up to `limit` tokens that expired before `before`; returns how many. */
  deleteExpired(before: Date, limit: number): Promise<number>;
}
