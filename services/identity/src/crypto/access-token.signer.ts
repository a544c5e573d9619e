import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import type {
  AccessTokenSigner,
  Ed25519PrivateJwk,
  JsonWebKeySet,
  PublicSigningJwk,
  SigningKey,
  SigningKeyStore,
} from "../domain/access-token.ts";

/** The JWS algorithm of access tokens: EdDSA over Ed25519 (RFC 8037 §3.1). */
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";
/** The `typ` header of access tokens (RFC 9068 §2.1), so they cannot pass for another kind of JWT. */
export const ACCESS_TOKEN_TYPE = "at+jwt";

function asEd25519PrivateJwk(jwk: JWK): Ed25519PrivateJwk {
  const { kty, crv, x, d } = jwk;
  if (kty !== "OKP" || crv !== "Ed25519" || typeof x !== "string" || typeof d !== "string") {
    throw new Error("generated signing key is not an Ed25519 private JWK");
  }
  return { kty: "OKP", crv: "Ed25519", x, d };
}

/** A new Ed25519 key pair as a signing key; its `kid` is the RFC 7638 SHA-256 thumbprint of the public key. */
export async function generateSigningKey(now: Date): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: "Ed25519", extractable: true });
  const privateJwk = asEd25519PrivateJwk(await exportJWK(privateKey));
  const kid = await calculateJwkThumbprint({ kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x });
  return { kid, privateJwk, active: true, createdAt: now };
}

/** The public half of a signing key as published in the JWK Set (never `d`). */
export function publicJwkOf(key: SigningKey): PublicSigningJwk {
  const { kty, crv, x } = key.privateJwk;
  return { kty, crv, x, kid: key.kid, alg: ACCESS_TOKEN_ALGORITHM, use: "sig" };
}

/**
 * Loads the signing keys, generating and persisting the first one when none is active (the
 * first start on a database), and returns the signer. Keys live in the database, so tokens
 * stay verifiable across restarts and replicas; concurrent first starts converge on one key.
 * The key set is read once: a key added later by another process is seen after a restart.
 * @throws Error when the database holds no active key even after inserting one (a bug).
 */
export async function openAccessTokenSigner(store: SigningKeyStore, now: Date): Promise<AccessTokenSigner> {
  let keys = await store.list();
  if (!keys.some((k) => k.active)) {
    await store.insertActiveIfNone(await generateSigningKey(now));
    keys = await store.list();
  }
  const active = keys.find((k) => k.active);
  if (active === undefined) throw new Error("no active signing key in the identity schema");
  const privateKey = await importJWK({ ...active.privateJwk }, ACCESS_TOKEN_ALGORITHM);
  const jwks: JsonWebKeySet = Object.freeze({ keys: Object.freeze(keys.map(publicJwkOf)) });
  return {
    sign: (claims) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: active.kid, typ: ACCESS_TOKEN_TYPE })
        .sign(privateKey),
    jwks: () => jwks,
  };
}
