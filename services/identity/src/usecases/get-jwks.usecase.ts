import type { AccessTokenSigner, JsonWebKeySet } from "../domain/access-token.ts";

/**
 * The JWK Set (RFC 7517 §5) of the public keys that verify Souk's access tokens, for the
 * gateway and any resource server (`jose.createLocalJWKSet`). Never contains private parts.
 */
export function getJwks(signer: AccessTokenSigner) {
  return (): JsonWebKeySet => signer.jwks();
}
