import Type from "typebox";
import { Text } from "./common.schemas.ts";

/** An email address (RFC 5321 limits the path to 254 characters). */
const Email = Type.String({ format: "email", maxLength: 254, description: "Email address" });

/** POST /v1/auth/register body. Password rule (8..256 characters) from the issue; no composition rules (NIST SP 800-63B). */
export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 256, description: "8 to 256 characters" }),
    name: Text({ minLength: 1, maxLength: 100, description: "Display name, 1 to 100 characters" }),
  },
  { additionalProperties: false },
);

/** A customer account as the API shows it (never the password). */
export const UserDto = Type.Object({
  id: Type.String({ description: "User id (UUIDv7)" }),
  email: Type.String(),
  name: Type.String(),
});

/** POST /v1/auth/register response. */
export const RegisterResponse = Type.Object({ user: UserDto });

/** POST /v1/auth/login body. Any non-empty password is accepted here: a wrong one is a 401, not a 400. */
export const LoginBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

/** POST /v1/auth/refresh body. */
export const RefreshBody = Type.Object(
  {
    refreshToken: Text({ minLength: 1, maxLength: 4096, description: "The refresh token of the last pair" }),
  },
  { additionalProperties: false },
);

/** The token pair answered by login and refresh (OAuth 2.0 token response shape, camelCased). */
export const TokenResponse = Type.Object({
  accessToken: Type.String({ description: "JWT (EdDSA) to send as `Authorization: Bearer <accessToken>`" }),
  refreshToken: Type.String({ description: "Single-use token for POST /v1/auth/refresh" }),
  tokenType: Type.Literal("Bearer"),
  expiresIn: Type.Integer({ description: "Lifetime of the access token in seconds" }),
});

/** GET /.well-known/jwks.json: the public keys that verify access tokens (RFC 7517 JWK Set). */
export const JwksResponse = Type.Object(
  { keys: Type.Array(Type.Object({}, { additionalProperties: true })) },
  { description: "JWK Set (RFC 7517)" },
);
