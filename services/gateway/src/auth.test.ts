import { createInProcessEventLog } from "@souk/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import type { ServiceImpl } from "@connectrpc/connect";
import { base64url, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, UnsecuredJWT, type JWK } from "jose";
import { TokensService, UsersService } from "@souk/contracts/identity";
import { createMetrics, inProcessClient, loadConfig, type SqlDatabase } from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import {
  createIdentityService,
  IDENTITY_SCHEMA,
  IdentityConfig,
  type IdentityService,
} from "../../../services/identity/src/index.ts";
import { createBearerAuth } from "./auth.ts";
import { forgeAccessToken, newForeignSigningKey } from "./testing/forged-tokens.ts";

/** The columns of identity's signing key table this file touches: to read its key, and to rotate it. */
interface SigningKeyTables {
  signing_keys: { kid: string; private_jwk: JWK; active: boolean };
}

/** Identity's access token lifetime under its default config (IDENTITY_ACCESS_TOKEN_TTL_SECONDS), in ms. */
const ACCESS_TOKEN_TTL_MS = 15 * 60 * 1000;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code?: string }) => error.code,
  );

const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

describe("bearer token verification against the real identity service (PGlite)", () => {
  let database: SqlDatabase;
  /** The time of identity and of the verifiers alike. */
  let now = new Date();
  const clock = () => now;
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  /** The identity instance that answers at identity's address; a restart replaces it. */
  let identity: IdentityService;
  const instances: IdentityService[] = [];
  /** Tokens service at identity's address: whichever instance runs now answers, as over the network. */
  const tokensAtAddress: ServiceImpl<typeof TokensService> = {
    createToken: (request, context) => identity.tokens.createToken(request, context),
    refreshToken: (request, context) => identity.tokens.refreshToken(request, context),
    getJwks: (request, context) => identity.tokens.getJwks(request, context),
  };
  let users = 0;

  /** Starts an identity instance on the shared database, with its default config overridden by `env`. */
  async function startIdentity(env: Record<string, string> = {}): Promise<IdentityService> {
    const instance = await createIdentityService({
      database,
      config: loadConfig(IdentityConfig, env),
      logger: testLogger(),
      clock,
      eventLog: createInProcessEventLog(),
    });
    instances.push(instance);
    return instance;
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    identity = await startIdentity();
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await database?.close();
  });

  /**
   * A verifier with an empty key cache over identity's address, how often it fetched the JWK Set,
   * and how many tokens it verified (calls of jose's `jwtVerify`).
   */
  function setup() {
    const metrics = createMetrics();
    let verifications = 0;
    const auth = createBearerAuth({
      tokens: inProcessClient(TokensService, tokensAtAddress, { metrics }),
      issuer: "souk",
      audience: "souk-api",
      clock,
      logger: testLogger(),
      verifyJwt: ((...args: Parameters<typeof jwtVerify>) => {
        verifications += 1;
        return jwtVerify(...args);
      }) as typeof jwtVerify,
    });
    const jwksCalls = async () =>
      (await metrics.rpcCalls.get()).values
        .filter((v) => v.labels.method === "GetJwks")
        .reduce((sum, v) => sum + v.value, 0);
    return { auth, jwksCalls, verifications: () => verifications };
  }

  /** Registers a fresh user with `instance` (default: the running identity) and logs them in there. */
  async function newUser(instance: IdentityService = identity) {
    users += 1;
    const email = `user${users}@example.test`;
    const { user } = await inProcessClient(UsersService, instance.users).registerUser({
      email,
      password: "correct horse",
      name: `User ${users}`,
    });
    const { tokens } = await inProcessClient(TokensService, instance.tokens).createToken({
      email,
      password: "correct horse",
    });
    if (user === undefined || tokens === undefined) throw new Error("identity answered without a user or tokens");
    return { userId: user.id, accessToken: tokens.accessToken };
  }

  /** Identity's active signing key, read from its schema: to sign tokens identity itself never would. */
  async function identitySigningKey() {
    const row = await database
      .forSchema<SigningKeyTables>(IDENTITY_SCHEMA)
      .selectFrom("signing_keys")
      .select(["kid", "private_jwk"])
      .where("active", "=", true)
      .executeTakeFirstOrThrow();
    return { kid: row.kid, privateKey: await importJWK(row.private_jwk, "EdDSA") };
  }

  /** `exp` of a hand-made token: five minutes from now. */
  const inFiveMinutes = () => Math.floor(now.getTime() / 1000) + 300;

  it("accepts a genuine token and fetches the key set once", async () => {
    const { auth, jwksCalls } = setup();
    const { userId, accessToken } = await newUser();
    expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    expect(await jwksCalls()).toBe(1);
  });

  it("verifies a token once until it expires, and again after the key set is refetched", async () => {
    const { auth, verifications } = setup();
    const { userId, accessToken } = await newUser();
    for (let i = 0; i < 3; i++) expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    expect(verifications()).toBe(1);
    // Refused tokens are not kept: each use verifies (and refuses) again.
    const forged = await forgeAccessToken(await newForeignSigningKey(kidOf(accessToken)), { sub: "u", issuedAt: now });
    expect(await codeOf(auth.verifyAccessToken(forged))).toBe("AUTH_INVALID_TOKEN");
    expect(await codeOf(auth.verifyAccessToken(forged))).toBe("AUTH_INVALID_TOKEN");
    expect(verifications()).toBe(3);

    // A token with an unknown kid, 30 s on, refetches the key set: verified tokens are forgotten.
    advance(30_000);
    const unknown = await forgeAccessToken(await newForeignSigningKey("key-unknown"), { sub: "u", issuedAt: now });
    expect(await codeOf(auth.verifyAccessToken(unknown))).toBe("AUTH_INVALID_TOKEN");
    const afterRefetch = verifications();
    expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    expect(verifications()).toBe(afterRefetch + 1);

    // Kept until exp plus the 5 s tolerance, and refused after it without a verification.
    advance(ACCESS_TOKEN_TTL_MS - 30_000 - 60_000);
    expect(await auth.verifyAccessToken(accessToken)).toEqual({ userId });
    advance(60_000 + 6_000);
    expect(await codeOf(auth.verifyAccessToken(accessToken))).toBe("AUTH_TOKEN_EXPIRED");
    expect(verifications()).toBe(afterRefetch + 1);
    // A fresh verifier (another process) says the same.
    expect(await codeOf(setup().auth.verifyAccessToken(accessToken))).toBe("AUTH_TOKEN_EXPIRED");
  });

  it("refuses expired, foreign-issuer, foreign-audience, subject-less and mistyped tokens", async () => {
    const { auth } = setup();
    const genuine = await newUser();
    expect(await codeOf(auth.verifyAccessToken(genuine.accessToken))).toBe("ok");
    advance(ACCESS_TOKEN_TTL_MS + 60_000);
    expect(await codeOf(auth.verifyAccessToken(genuine.accessToken))).toBe("AUTH_TOKEN_EXPIRED");

    // Identity instances configured for another issuer or audience sign with the same key.
    const evil = await newUser(await startIdentity({ IDENTITY_ISSUER: "evil" }));
    expect(kidOf(evil.accessToken)).toBe(kidOf(genuine.accessToken));
    expect(await codeOf(auth.verifyAccessToken(evil.accessToken))).toBe("AUTH_INVALID_TOKEN");
    const otherApi = await newUser(await startIdentity({ IDENTITY_AUDIENCE: "other-api" }));
    expect(kidOf(otherApi.accessToken)).toBe(kidOf(genuine.accessToken));
    expect(await codeOf(auth.verifyAccessToken(otherApi.accessToken))).toBe("AUTH_INVALID_TOKEN");

    // Signed with identity's own key, with everything right but the subject or the type.
    const key = await identitySigningKey();
    const signed = (typ: string, subject: string | undefined) => {
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ })
        .setIssuer("souk")
        .setAudience("souk-api")
        .setExpirationTime(inFiveMinutes());
      return (subject === undefined ? jwt : jwt.setSubject(subject)).sign(key.privateKey);
    };
    expect(await auth.verifyAccessToken(await signed("at+jwt", "u"))).toEqual({ userId: "u" });
    expect(await codeOf(auth.verifyAccessToken(await signed("at+jwt", undefined)))).toBe("AUTH_INVALID_TOKEN");
    expect(await codeOf(auth.verifyAccessToken(await signed("JWT", "u")))).toBe("AUTH_INVALID_TOKEN");
  });

  it("refuses forgeries: alg none, HS256 keyed with the public key, a foreign key under a known kid, garbage", async () => {
    const { auth } = setup();
    const { accessToken } = await newUser();
    const kid = kidOf(accessToken);
    const { jwksJson } = await inProcessClient(TokensService, tokensAtAddress).getJwks({});
    const publicJwk = (JSON.parse(jwksJson) as { keys: JWK[] }).keys.find((k) => k.kid === kid);
    expect(publicJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", x: expect.any(String) as unknown });

    const none = new UnsecuredJWT({})
      .setSubject("u")
      .setIssuer("souk")
      .setAudience("souk-api")
      .setExpirationTime(inFiveMinutes());
    expect(await codeOf(auth.verifyAccessToken(none.encode()))).toBe("AUTH_INVALID_TOKEN");
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" })
      .setSubject("u")
      .setIssuer("souk")
      .setAudience("souk-api")
      .setExpirationTime(inFiveMinutes())
      .sign(base64url.decode(String(publicJwk?.x)));
    expect(await codeOf(auth.verifyAccessToken(hmac))).toBe("AUTH_INVALID_TOKEN");
    const impostor = await newForeignSigningKey(kid);
    expect(await codeOf(auth.verifyAccessToken(await forgeAccessToken(impostor, { sub: "u", issuedAt: now })))).toBe(
      "AUTH_INVALID_TOKEN",
    );
    expect(await codeOf(auth.verifyAccessToken("not.a.jwt"))).toBe("AUTH_INVALID_TOKEN");
  });

  it("refetches the key set for an unknown kid (key rotation), at most once per 30 s", async () => {
    const { auth, jwksCalls } = setup();
    const before = await newUser();
    expect(await auth.verifyAccessToken(before.accessToken)).toEqual({ userId: before.userId });

    // Rotation: retire the active key and restart identity, which generates a new one and publishes both.
    await database
      .forSchema<SigningKeyTables>(IDENTITY_SCHEMA)
      .updateTable("signing_keys")
      .set({ active: false })
      .where("active", "=", true)
      .execute();
    identity = await startIdentity();
    const after = await newUser();
    expect(kidOf(after.accessToken)).not.toBe(kidOf(before.accessToken));

    expect(await codeOf(auth.verifyAccessToken(after.accessToken))).toBe("AUTH_INVALID_TOKEN");
    expect(await jwksCalls()).toBe(1);
    advance(30_000);
    expect(await auth.verifyAccessToken(after.accessToken)).toEqual({ userId: after.userId });
    expect(await jwksCalls()).toBe(2);
    expect(await auth.verifyAccessToken(before.accessToken)).toEqual({ userId: before.userId });
    const unknown = await forgeAccessToken(await newForeignSigningKey("key-3"), { sub: "u", issuedAt: now });
    await Promise.all(
      [1, 2, 3].map(async () => expect(await codeOf(auth.verifyAccessToken(unknown))).toBe("AUTH_INVALID_TOKEN")),
    );
    expect(await jwksCalls()).toBe(2);
  });

  it("reads the user only from a verified Authorization header", async () => {
    const { auth } = setup();
    const request = (authorization?: string) =>
      ({
        headers: authorization === undefined ? {} : { authorization },
        routeOptions: {},
      }) as unknown as FastifyRequest;
    expect(await codeOf(auth.requireUser(request()))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Basic dTpw")))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Bearer ")))).toBe("AUTH_MISSING_TOKEN");
    expect(await codeOf(auth.requireUser(request("Bearer a b")))).toBe("AUTH_INVALID_TOKEN");
    const { userId, accessToken } = await newUser();
    const genuine = request(`bearer ${accessToken}`);
    await auth.requireUser(genuine);
    expect(auth.userIdOf(genuine)).toBe(userId);
    expect(() => auth.userIdOf(request())).toThrow(/requireUser/);
  });
});
