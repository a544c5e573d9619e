import type { User } from "./user.ts";

/**
 * How tokens are issued (from the service's config): `issuer` and `audience` become the
 * `iss` and `aud` claims; TTLs are in seconds.
 */
export interface TokenPolicy {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

/**
 * The claims of an access token (RFC 7519 §4.1 registered claims plus the user's profile).
 * `iat` and `exp` are NumericDates: whole seconds since the Unix epoch, UTC.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string;
  /** The user id. */
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  /** A unique token id (UUIDv7). */
  readonly jti: string;
  readonly email: string;
  readonly name: string;
}

/**
 * The claims of an access token for `user` issued at `now`: `iat` is `now` truncated to the
 * second and `exp` is `iat + policy.accessTokenTtlSeconds`.
 */
export function accessTokenClaims(user: User, now: Date, policy: TokenPolicy, jti: string): AccessTokenClaims {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: policy.issuer,
    aud: policy.audience,
    sub: user.id,
    iat,
    exp: iat + policy.accessTokenTtlSeconds,
    jti,
    email: user.email,
    name: user.name,
  };
}

/** What a client receives from a login or a refresh. `expiresInSeconds` is the access token's lifetime. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresInSeconds: number;
}

/**
 * An Ed25519 public key as published in the JWK Set (RFC 8037 §2 for OKP keys; `kid` is the
 * RFC 7638 thumbprint of the key).
 */
export interface PublicSigningJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly use: "sig";
}

/** A JWK Set (RFC 7517 §5). */
export interface JsonWebKeySet {
  readonly keys: readonly PublicSigningJwk[];
}

/** Signs access tokens and publishes the keys that verify them (implemented with jose in `crypto/`). */
export interface AccessTokenSigner {
  /** A compact JWS (JWT) of `claims`, signed with the active key, its `kid` in the header. */
  sign(claims: AccessTokenClaims): Promise<string>;
  /** The public keys of every stored signing key (the active one and any older ones). */
  jwks(): JsonWebKeySet;
}

/** An Ed25519 private key as a JWK (RFC 8037 §2): `x` is the public key, `d` the private one. */
export interface Ed25519PrivateJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly d: string;
}

/** A persisted signing key. At most one key is `active` (the one that signs). */
export interface SigningKey {
  readonly kid: string;
  readonly privateJwk: Ed25519PrivateJwk;
  readonly active: boolean;
  readonly createdAt: Date;
}

/** Persistence of signing keys; implemented in `store/signing-key.store.ts`. */
export interface SigningKeyStore {
  /** Every stored key, oldest first. */
  list(): Promise<SigningKey[]>;
  /**
   * Stores `key` as the active key unless an active key already exists (then does nothing:
   * another process starting at the same time won, and its key is the one to use).
   */
  insertActiveIfNone(key: SigningKey): Promise<void>;
}
