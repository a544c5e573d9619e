import { describe, expect, it } from "vitest";
import { accessTokenClaims, type TokenPolicy } from "./access-token.ts";

const policy: TokenPolicy = {
  issuer: "souk",
  audience: "souk-api",
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 2_592_000,
};
const user = {
  id: "0190f5c0-0000-7000-8000-000000000001",
  email: "ada@example.com",
  name: "Ada",
  createdAt: new Date(0),
};

describe("access token claims", () => {
  it("carries issuer, audience, subject, profile and a jti; exp is iat + ttl in whole seconds", () => {
    const claims = accessTokenClaims(user, new Date("2026-01-01T00:00:00.999Z"), policy, "jti-1");
    const iat = Date.UTC(2026, 0, 1) / 1000;
    expect(claims).toEqual({
      iss: "souk",
      aud: "souk-api",
      sub: user.id,
      iat,
      exp: iat + 900,
      jti: "jti-1",
      email: "ada@example.com",
      name: "Ada",
    });
  });
});
