import type { Clock, IdGenerator } from "@souk/platform";
import { accessTokenClaims, type AccessTokenSigner, type TokenPair, type TokenPolicy } from "../domain/access-token.ts";
import { mintRefreshToken, type RefreshTokenStore, type SecretGenerator } from "../domain/refresh-token.ts";
import {
  invalidCredentials,
  normalizeEmail,
  normalizePassword,
  type PasswordHasher,
  type UserStore,
} from "../domain/user.ts";

/** What `createToken` needs. */
export interface CreateTokenDeps {
  readonly users: UserStore;
  readonly hasher: PasswordHasher;
  readonly refreshTokens: RefreshTokenStore;
  readonly signer: AccessTokenSigner;
  readonly policy: TokenPolicy;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly newSecret: SecretGenerator;
}

/**
 * Login: exchanges email + password for an access token (JWT, `policy.accessTokenTtlSeconds`)
 * and the first refresh token of a new family (`policy.refreshTokenTtlSeconds`). A password
 * hashed with outdated argon2 parameters is rehashed with the current ones.
 * @throws SoukError unauthenticated IDENTITY_INVALID_CREDENTIALS for an unknown email or a
 *   wrong password alike — an unknown email is still checked against a dummy hash, so the
 *   answer time does not tell which emails have accounts.
 */
export function createToken(deps: CreateTokenDeps) {
  return async (email: string, password: string): Promise<TokenPair> => {
    const user = await deps.users.findByEmail(normalizeEmail(email));
    const normalizedPassword = normalizePassword(password);
    const matches = await deps.hasher.verify(user?.passwordHash, normalizedPassword);
    if (user === undefined || !matches) throw invalidCredentials();

    const now = deps.clock();
    if (deps.hasher.needsRehash(user.passwordHash)) {
      await deps.users.updatePasswordHash(user.id, await deps.hasher.hash(normalizedPassword), now);
    }
    const refresh = mintRefreshToken(deps.newSecret(), now, deps.policy.refreshTokenTtlSeconds);
    await deps.refreshTokens.insert({
      tokenHash: refresh.tokenHash,
      userId: user.id,
      familyId: deps.newId(),
      expiresAt: refresh.expiresAt,
      createdAt: now,
    });
    return {
      accessToken: await deps.signer.sign(accessTokenClaims(user, now, deps.policy, deps.newId())),
      refreshToken: refresh.token,
      expiresInSeconds: deps.policy.accessTokenTtlSeconds,
    };
  };
}
