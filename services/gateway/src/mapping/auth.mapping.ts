import type { Static } from "typebox";
import type { TokenPair, User } from "@souk/contracts/identity";
import type { TokenResponse, UserDto } from "../schemas/auth.schemas.ts";
import { present } from "./common.mapping.ts";

/** identity User → REST user. */
export function toUserDto(user: User | undefined): Static<typeof UserDto> {
  const { id, email, name } = present(user, "user");
  return { id, email, name };
}

/** identity TokenPair → the REST token response (`tokenType` is always Bearer, RFC 6750). */
export function toTokenResponse(tokens: TokenPair | undefined): Static<typeof TokenResponse> {
  const pair = present(tokens, "tokens");
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    tokenType: "Bearer",
    expiresIn: pair.expiresInSeconds,
  };
}
