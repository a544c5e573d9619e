import { randomBytes } from "node:crypto";
import { REFRESH_TOKEN_BYTES, type SecretGenerator } from "../domain/refresh-token.ts";

/** Fresh refresh token secrets from the CSPRNG: 256 random bits, base64url without padding (43 chars). */
export const randomRefreshTokenSecret: SecretGenerator = () => randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
