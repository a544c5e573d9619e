import type { Clock, IdGenerator, Logger } from "@souk/platform";
import { accessTokenClaims, type AccessTokenSigner, type TokenPair, type TokenPolicy } from "../domain/access-token.ts";
import {
  decideRefresh,
  hashRefreshToken,
  invalidRefreshToken,
  isWellFormedRefreshToken,
  mintRefreshToken,
  refreshTokenReused,
  type RefreshTokenStore,
  type SecretGenerator,
} from "../domain/refresh-token.ts";
import type { UserStore } from "../domain/user.ts";

/** What `refreshToken` needs. */
export interface RefreshTokenDeps {
  readonly users: UserStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly signer: AccessTokenSigner;
  readonly policy: TokenPolicy;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly newSecret: SecretGenerator;
  readonly logger: Logger;
}

/**
 * Refresh token rotation (RFC 6819 §5.2.2.3; OAuth 2.0 Security BCP, RFC 9700 §4.14.2): the
 * presented token is spent and a new pair is returned, the new refresh token in the same
 * family. Spending is a compare-and-set, so of two concurrent refreshes with one token exactly
 * one succeeds; the other sees a spent token, which is reuse.
 * @throws SoukError unauthenticated IDENTITY_REFRESH_TOKEN_REUSED when the token was already
 *   spent (its whole family is revoked first, so the thief's and the victim's tokens both
 *   stop working); unauthenticated IDENTITY_INVALID_REFRESH_TOKEN when it is malformed,
 *   unknown, expired or revoked.
 */
export function refreshToken(deps: RefreshTokenDeps) {
  const refresh = async (presented: string): Promise<TokenPair> => {
    if (!isWellFormedRefreshToken(presented)) throw invalidRefreshToken();
    const tokenHash = hashRefreshToken(presented);
    const now = deps.clock();
    const current = await deps.refreshTokens.find(tokenHash);
    const decision = decideRefresh(current, now);
    if (current === undefined || decision === "invalid") throw invalidRefreshToken();
    if (decision === "reuse") {
      const revoked = await deps.refreshTokens.revokeFamily(current.familyId, now);
      deps.logger.warn(
        { userId: current.userId, familyId: current.familyId, revoked },
        "refresh token reuse detected; token family revoked",
      );
      throw refreshTokenReused();
    }

    const next = mintRefreshToken(deps.newSecret(), now, deps.policy.refreshTokenTtlSeconds);
    const spent = await deps.refreshTokens.rotate(tokenHash, now, next);
    // Lost the compare-and-set to a concurrent refresh (or a revocation): decide again on the
    // fresh state, which answers reuse or invalid.
    if (spent === undefined) return refresh(presented);
    const user = await deps.users.findById(spent.userId);
    // Unreachable while refresh tokens reference users with ON DELETE CASCADE.
    if (user === undefined) throw invalidRefreshToken();
    return {
      accessToken: await deps.signer.sign(accessTokenClaims(user, now, deps.policy, deps.newId())),
      refreshToken: next.token,
      expiresInSeconds: deps.policy.accessTokenTtlSeconds,
    };
  };
  return refresh;
}
