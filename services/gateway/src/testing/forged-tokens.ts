import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

/**
 * An Ed25519 key pair the ATTACKER holds: identity never issued it, so tokens signed with it
 * are forgeries the gateway must refuse (even when `kid` names one of identity's keys).
 */
export interface ForeignSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A new Ed25519 key pair that claims the key id `kid`. */
export async function newForeignSigningKey(kid: string): Promise<ForeignSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" } };
}

/**
 * Signs an access token shaped exactly like identity's (EdDSA, `typ: at+jwt`, iss `souk`, aud
 * `souk-api`, 15 minutes from `issuedAt`, default now) with a key identity does not hold.
 */
export function forgeAccessToken(key: ForeignSigningKey, claims: { sub: string; issuedAt?: Date }): Promise<string> {
  const iat = Math.floor((claims.issuedAt ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
    .setSubject(claims.sub)
    .setIssuer("souk")
    .setAudience("souk-api")
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .sign(key.privateKey);
}
