import Type from "typebox";

/** Identity's environment: variable name → schema (parsed once by the launcher). */
export const IdentityConfig = Type.Object({
  IDENTITY_ISSUER: Type.String({
    minLength: 1,
    default: "souk",
    description: "The `iss` claim of access tokens; verifiers must expect exactly this value",
  }),
  IDENTITY_AUDIENCE: Type.String({
    minLength: 1,
    default: "souk-api",
    description: "The `aud` claim of access tokens; verifiers must expect exactly this value",
  }),
  IDENTITY_ACCESS_TOKEN_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 900,
    description: "Access token lifetime in seconds (15 minutes by default; at most a day, as they cannot be revoked)",
  }),
  IDENTITY_REFRESH_TOKEN_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 31_536_000,
    default: 2_592_000,
    description: "Refresh token lifetime in seconds, renewed on every rotation (30 days by default)",
  }),
});
