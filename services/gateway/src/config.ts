import Type from "typebox";

/** The gateway's environment: variable name → schema (parsed once by the launcher with `loadConfig`). */
export const GatewayConfig = Type.Object({
  GATEWAY_JWT_ISSUER: Type.String({
    minLength: 1,
    default: "souk",
    description: "Required `iss` claim of access tokens",
  }),
  GATEWAY_JWT_AUDIENCE: Type.String({
    minLength: 1,
    default: "souk-api",
    description: "Required `aud` claim of access tokens",
  }),
  GATEWAY_CHECKOUT_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 5_000,
    description:
      "How long POST /v1/checkout waits for a terminal order state before answering 202 with the PENDING order",
  }),
  GATEWAY_PUBLIC_URL: Type.String({
    pattern: "^https?://[^\\s]+$",
    default: "http://127.0.0.1:8080",
    description: "Public base URL of the API, advertised as the OpenAPI server",
  }),
});
