import { describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { base64url, SignJWT, UnsecuredJWT } from "jose";
import { testLogger } from "@souk/platform/testing";
import { createBearerAuth } from "./auth.ts";
import { createFakeServices, newSigningKey, signAccessToken } from "./testing/fake-services.ts";

async function setup() {
  const fakes = await createFakeServices();
  let now = new Date();
  const auth = createBearerAuth({
    tokens: fakes.clients.tokens,
    issuer: "souk",
    audience: "souk-api",
    clock: () => now,
    logger: testLogger(),
  });
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  return { auth, state: fakes.state, key: fakes.state.signingKeys[0]!, advance };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code?: string }) => error.code,
  );

describe("bearer token verification", () => {
  it("accepts a genuine token and fetches the key set once", async () => {
    const { auth, state, key } = await setup();
    const token = await signAccessToken(key, { sub: "user-1" });
    expect(await auth.verifyAccessToken(token)).toEqual({ userId: "user-1" });
    expect(await auth.verifyAccessToken(token)).toEqual({ userId: "user-1" });
    expect(state.jwksCalls).toBe(1);
  });

  it("refuses expired, foreign-issuer, foreign-audience, subject-less and mistyped tokens", async () => {
    const { auth, key } = await setup();
    expect(await codeOf(auth.verifyAccessToken(await signAccessToken(key, { sub: "u", expiresInSeconds: -60 })))).toBe(
      "AUTH_TOKEN_EXPIRED",
    );
    expect(await codeOf(auth.verifyAccessToken(await signAccessToken(key, { sub: "u", iss: "evil" })))).toBe(
      "AUTH_INVALID_TOKEN",
    );
    expect(await codeOf(auth.verifyAccessToken(await signAccessToken(key, { sub: "u", aud: "other-api" })))).toBe(
      "AUTH_INVALID_TOKEN",
    );
    const noSubject = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
      .setIssuer("souk")
      .setAudience("souk-api")
      .setExpirationTime("5m")
      .sign(key.privateKey);
    expect(await codeOf(auth.verifyAccessToken(noSubject))).toBe("AUTH_INVALID_TOKEN");
    const idToken = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
      .setSubject("u")
      .setIssuer("souk")
      .setAudience("souk-api")
      .setExpirationTime("5m")
      .sign(key.privateKey);
    expect(await codeOf(auth.verifyAccessToken(idToken))).toBe("AUTH_INVALID_TOKEN");
  });

  it("refuses forgeries: alg none, HS256 keyed with the public key, a foreign key under a known kid, garbage", async () => {
    const { auth, key } = await setup();
    const none = new UnsecuredJWT({}).setSubject("u").setIssuer("souk").setAudience("souk-api").setExpirationTime("5m");
    expect(await codeOf(auth.verifyAccessToken(none.encode()))).toBe("AUTH_INVALID_TOKEN");
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "at+jwt" })
      .setSubject("u")
      .setIssuer("souk")
      .setAudience("souk-api")
      .setExpirationTime("5m")
      .sign(base64url.decode(String(key.publicJwk.x)));
    expect(await codeOf(auth.verifyAccessToken(hmac))).toBe("AUTH_INVALID_TOKEN");
    const impostor = await newSigningKey(key.kid);
    expect(await codeOf(auth.verifyAccessToken(await signAccessToken(impostor, { sub: "u" })))).toBe(
      "AUTH_INVALID_TOKEN",
    );
    expect(await codeOf(auth.verifyAccessToken("not.a.jwt"))).toBe("AUTH_INVALID_TOKEN");
  });

  it("refetches the key set for an unknown kid (key rotation), at most once per 30 s", async () => {
    const { auth, state, key, advance } = await setup();
    await auth.verifyAccessToken(await signAccessToken(key, { sub: "u" }));
    const rotated = await newSigningKey("key-2");
    state.signingKeys.unshift(rotated);
    const token = await signAccessToken(rotated, { sub: "u" });
    expect(await codeOf(auth.verifyAccessToken(token))).toBe("AUTH_INVALID_TOKEN");
    expect(state.jwksCalls).toBe(1);
    advance(30_000);
    expect(await auth.verifyAccessToken(token)).toEqual({ userId: "u" });
    expect(state.jwksCalls).toBe(2);
    const unknown = await signAccessToken(await newSigningKey("key-3"), { sub: "u" });
    await Promise.all(
      [1, 2, 3].map(async () => expect(await codeOf(auth.verifyAccessToken(unknown))).toBe("AUTH_INVALID_TOKEN")),
    );
    expect(state.jwksCalls).toBe(2);
  });

  it("reads the user only from a verified Authorization header", async () => {
    const { auth, key } = await setup();
    const request = (authorization?: string) =>
      ({
        headers: authorization === undefined ? {} : { authorization },
        routeOptions: {},
      }) as unknown as FastifyRequest;
    expect(await codeOf(auth.requireUser(request()))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Basic dTpw")))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Bearer ")))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Bearer a b")))).toBe("AUTH_INVALID_TOKEN");
    const genuine = request(`bearer ${await signAccessToken(key, { sub: "user-9" })}`);
    await auth.requireUser(genuine);
    expect(auth.userIdOf(genuine)).toBe("user-9");
    expect(() => auth.userIdOf(request())).toThrow(/requireUser/);
  });
});
