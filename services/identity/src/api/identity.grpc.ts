import type { ServiceImpl } from "@connectrpc/connect";
import type { TokensService, UsersService } from "@souk/contracts/identity";
import type { TokenPair } from "../domain/access-token.ts";
import type { User } from "../domain/user.ts";
import type { IdentityUseCases } from "../index.ts";

function toUserMessage(user: User) {
  return { id: user.id, email: user.email, name: user.name };
}

function toTokenPairMessage(pair: TokenPair) {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresInSeconds: pair.expiresInSeconds };
}

/** gRPC handlers of souk.identity.v1.UsersService: decode, call one use case, encode. */
export function usersHandlers(uc: IdentityUseCases): ServiceImpl<typeof UsersService> {
  return {
    async registerUser(req) {
      return {
        user: toUserMessage(await uc.registerUser({ email: req.email, password: req.password, name: req.name })),
      };
    },
    async getUser(req) {
      return { user: toUserMessage(await uc.getUser(req.id)) };
    },
  };
}

/** gRPC handlers of souk.identity.v1.TokensService: decode, call one use case, encode. */
export function tokensHandlers(uc: IdentityUseCases): ServiceImpl<typeof TokensService> {
  return {
    async createToken(req) {
      return { tokens: toTokenPairMessage(await uc.createToken(req.email, req.password)) };
    },
    async refreshToken(req) {
      return { tokens: toTokenPairMessage(await uc.refreshToken(req.refreshToken)) };
    },
    async getJwks() {
      return { jwksJson: JSON.stringify(uc.getJwks()) };
    },
  };
}
