import { createInProcessEventLog } from "@souk/messaging";
import { createHash } from "node:crypto";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokensService, UsersService } from "@souk/contracts/identity";
import {
  ConfigError,
  createMetrics,
  fromConnectError,
  inProcessClient,
  isUuid,
  loadConfig,
  type Metrics,
  type SqlDatabase,
} from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
import { openAccessTokenSigner } from "./crypto/access-token.signer.ts";
import { createIdentityService, IDENTITY_SCHEMA, IdentityConfig } from "./index.ts";
import type { IdentityDatabase } from "./store/identity.schema.ts";
import { identityMigrations } from "./store/migrations.ts";
import { createSigningKeyStore } from "./store/signing-key.store.ts";
import { createUserStore } from "./store/user.store.ts";

type Identity = Awaited<ReturnType<typeof createIdentityService>>;

/** The stable code a failed call carries (through the gRPC mapping when it is a ConnectError). */
async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return fromConnectError(error).code;
  }
  throw new Error("expected the call to fail");
}

const DAY_SECONDS = 24 * 60 * 60;

describe("identity on PostgreSQL (PGlite)", () => {
  let database: SqlDatabase;
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = () => now;
  const advanceSeconds = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const config = loadConfig(IdentityConfig, {});
  let identity: Identity;
  let metrics: Metrics;
  let users: Client<typeof UsersService>;
  let tokens: Client<typeof TokensService>;

  const jwksOf = async (client: Client<typeof TokensService>) =>
    createLocalJWKSet(JSON.parse((await client.getJwks({})).jwksJson) as JSONWebKeySet);
  const verifyAt = async (token: string, at: Date) =>
    jwtVerify(token, await jwksOf(tokens), {
      algorithms: ["EdDSA"],
      issuer: "souk",
      audience: "souk-api",
      currentDate: at,
    });
  const register = (email: string, password = "correct horse battery", name = "Ada Lovelace") =>
    identity.useCases.registerUser({ email, password, name });
  const db = () => database.forSchema<IdentityDatabase>(IDENTITY_SCHEMA);

  beforeAll(async () => {
    database = await openTestDatabase();
    metrics = createMetrics();
    identity = await createIdentityService({
      database,
      config,
      logger: testLogger(),
      clock,
      eventLog: createInProcessEventLog(),
      metrics,
    });
    users = inProcessClient(UsersService, identity.users);
    tokens = inProcessClient(TokensService, identity.tokens);
  });
  afterAll(async () => {
    await identity.stop();
    await database.close();
  });

  describe("config", () => {
    it("defaults to issuer souk, audience souk-api, 15-minute access and 30-day refresh tokens", () => {
      expect(config).toEqual({
        IDENTITY_ISSUER: "souk",
        IDENTITY_AUDIENCE: "souk-api",
        IDENTITY_ACCESS_TOKEN_TTL_SECONDS: 900,
        IDENTITY_REFRESH_TOKEN_TTL_SECONDS: 30 * DAY_SECONDS,
      });
      expect(
        loadConfig(IdentityConfig, { IDENTITY_ACCESS_TOKEN_TTL_SECONDS: "60" }).IDENTITY_ACCESS_TOKEN_TTL_SECONDS,
      ).toBe(60);
      expect(() => loadConfig(IdentityConfig, { IDENTITY_ACCESS_TOKEN_TTL_SECONDS: "0" })).toThrow(ConfigError);
      expect(() => loadConfig(IdentityConfig, { IDENTITY_ACCESS_TOKEN_TTL_SECONDS: "0" })).toThrow(
        /IDENTITY_ACCESS_TOKEN_TTL_SECONDS/,
      );
    });
  });

  describe("RegisterUser and GetUser", () => {
    it("registers with a UUIDv7 id and normalized fields, and GetUser returns the account", async () => {
      const { user } = await users.registerUser({
        email: "  Grace.Hopper@Example.COM ",
        password: "cobol-1959",
        name: " Grace Hopper ",
      });
      expect(user).toMatchObject({ email: "grace.hopper@example.com", name: "Grace Hopper" });
      expect(isUuid(user?.id ?? "")).toBe(true);
      expect(user?.id[14]).toBe("7");
      expect((await users.getUser({ id: user?.id ?? "" })).user).toEqual(user);
      const row = await db()
        .selectFrom("users")
        .selectAll()
        .where("id", "=", user?.id ?? "")
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row.password_hash).not.toContain("cobol-1959");
    });

    it("exports its password hashing load on the process's metrics, idle again after a sign-up", async () => {
      await users.registerUser({ email: "metrics@example.com", password: "gauge-1959", name: "Metrics" });
      const text = await metrics.registry.getSingleMetricAsString("souk_identity_password_hashes");
      expect(text).toContain('souk_identity_password_hashes{state="running"} 0');
      expect(text).toContain('souk_identity_password_hashes{state="queued"} 0');
    });

    it("lists every bad field in one INVALID_ARGUMENT", async () => {
      const error = await users
        .registerUser({ email: "not-an-email", password: "short", name: "" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      const soukError = fromConnectError(error);
      expect(soukError.code).toBe("IDENTITY_INVALID_REGISTRATION");
      expect(soukError.fields.map((f) => f.field)).toEqual(["email", "password", "name"]);
    });

    it("refuses a taken email in any case as ALREADY_EXISTS IDENTITY_EMAIL_TAKEN", async () => {
      await register("taken@example.com");
      const error = await users
        .registerUser({ email: "TAKEN@example.com", password: "another password", name: "Someone" })
        .catch((e: unknown) => e);
      expect((error as ConnectError).code).toBe(Code.AlreadyExists);
      expect(fromConnectError(error).code).toBe("IDENTITY_EMAIL_TAKEN");
    });

    it("of two concurrent registrations of one email, exactly one succeeds", async () => {
      const results = await Promise.allSettled([
        register("race@example.com", "password one", "One"),
        register("Race@Example.com", "password two", "Two"),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const [rejected] = results.filter((r) => r.status === "rejected");
      expect((rejected?.reason as { code?: string }).code).toBe("IDENTITY_EMAIL_TAKEN");
      const rows = await db().selectFrom("users").select("id").where("email", "=", "race@example.com").execute();
      expect(rows).toHaveLength(1);
    });

    it("lets the unique index, not a pre-check, settle a duplicate insert", async () => {
      const existing = await register("index@example.com");
      const store = createUserStore(db());
      await expect(
        store.insert({ ...existing, id: "0190f5c0-0000-7000-8000-0000000000aa", passwordHash: "x" }),
      ).rejects.toMatchObject({ kind: "conflict", code: "IDENTITY_EMAIL_TAKEN" });
    });

    it("answers NOT_FOUND IDENTITY_USER_NOT_FOUND for an unknown or malformed id", async () => {
      expect(await codeOf(users.getUser({ id: "0190f5c0-0000-7000-8000-000000000000" }))).toBe(
        "IDENTITY_USER_NOT_FOUND",
      );
      expect(await codeOf(users.getUser({ id: "not-a-uuid" }))).toBe("IDENTITY_USER_NOT_FOUND");
      const error = await users.getUser({ id: "" }).catch((e: unknown) => e);
      expect((error as ConnectError).code).toBe(Code.NotFound);
    });
  });

  describe("CreateToken (login)", () => {
    it("exchanges the right password for a token pair, with the email in any case", async () => {
      await register("login@example.com", "open sesame!");
      const { tokens: pair } = await tokens.createToken({ email: " LOGIN@example.com", password: "open sesame!" });
      expect(pair?.expiresInSeconds).toBe(900);
      expect(pair?.accessToken.split(".")).toHaveLength(3);
      expect(pair?.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("answers a wrong password and an unknown email alike: UNAUTHENTICATED IDENTITY_INVALID_CREDENTIALS", async () => {
      await register("careful@example.com", "the right one");
      const wrong = await tokens
        .createToken({ email: "careful@example.com", password: "the wrong one" })
        .catch((e: unknown) => e);
      const unknown = await tokens
        .createToken({ email: "nobody@example.com", password: "the right one" })
        .catch((e: unknown) => e);
      for (const error of [wrong, unknown]) {
        expect((error as ConnectError).code).toBe(Code.Unauthenticated);
        expect(fromConnectError(error).code).toBe("IDENTITY_INVALID_CREDENTIALS");
      }
      expect((unknown as ConnectError).rawMessage).toBe((wrong as ConnectError).rawMessage);
    });

    it("spends about as long on an unknown email as on a wrong password (dummy hash)", async () => {
      await register("timing@example.com", "the right one");
      const elapsedMs = async (email: string) => {
        const started = performance.now();
        expect(await codeOf(identity.useCases.createToken(email, "the wrong one"))).toBe(
          "IDENTITY_INVALID_CREDENTIALS",
        );
        return performance.now() - started;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        known.push(await elapsedMs("timing@example.com"));
        unknown.push(await elapsedMs(`ghost-${i}@example.com`));
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] ?? 0;
      // Without the dummy hash an unknown email answers after one indexed lookup (~1 ms),
      // against tens of milliseconds of argon2 for a known one.
      expect(median(unknown)).toBeGreaterThan(0.3 * median(known));
    });

    it("rehashes a password stored with outdated argon2 parameters", async () => {
      const user = await register("legacy@example.com", "old but gold");
      const { hash } = await import("@node-rs/argon2");
      await createUserStore(db()).updatePasswordHash(
        user.id,
        await hash("old but gold", { memoryCost: 4096, timeCost: 3, parallelism: 1 }),
        now,
      );
      await identity.useCases.createToken("legacy@example.com", "old but gold");
      const row = await db()
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await identity.useCases.createToken("legacy@example.com", "old but gold");
    });
  });

  describe("access tokens", () => {
    it("verify with jose against GetJwks: EdDSA, kid, iss, aud, sub, iat, exp, jti, email, name", async () => {
      const user = await register("jwt@example.com", "signed and sealed", "Jay Wu");
      const pair = await identity.useCases.createToken("jwt@example.com", "signed and sealed");
      const { payload, protectedHeader } = await verifyAt(pair.accessToken, now);
      const jwks = JSON.parse((await tokens.getJwks({})).jwksJson) as { keys: Record<string, string>[] };
      expect(jwks.keys).toHaveLength(1);
      expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
      expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      expect(protectedHeader).toEqual({ alg: "EdDSA", kid: jwks.keys[0]?.["kid"], typ: "at+jwt" });
      const iat = now.getTime() / 1000;
      expect(payload).toEqual({
        iss: "souk",
        aud: "souk-api",
        sub: user.id,
        iat,
        exp: iat + 900,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
        email: "jwt@example.com",
        name: "Jay Wu",
      });
      expect((await users.getUser({ id: payload.sub ?? "" })).user?.email).toBe("jwt@example.com");
    });

    it("is rejected for another audience or issuer, and after its expiry on the injected clock", async () => {
      await register("expiry@example.com", "tick tock clock");
      advanceSeconds(3600);
      const issuedAt = now;
      const { accessToken } = await identity.useCases.createToken("expiry@example.com", "tick tock clock");
      expect(decodeJwt(accessToken).iat).toBe(issuedAt.getTime() / 1000);
      await expect(verifyAt(accessToken, new Date(issuedAt.getTime() + 899_000))).resolves.toBeDefined();
      await expect(verifyAt(accessToken, new Date(issuedAt.getTime() + 900_000))).rejects.toBeInstanceOf(
        errors.JWTExpired,
      );
      const keys = await jwksOf(tokens);
      await expect(
        jwtVerify(accessToken, keys, { algorithms: ["EdDSA"], audience: "other-api", currentDate: issuedAt }),
      ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
      await expect(
        jwtVerify(accessToken, keys, { algorithms: ["EdDSA"], issuer: "evil", currentDate: issuedAt }),
      ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
      await expect(
        jwtVerify(accessToken, keys, { algorithms: ["ES256"], currentDate: issuedAt }),
      ).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    });

    it("keeps its signing key across a restart: tokens verify on either instance", async () => {
      await register("restart@example.com", "survive a reboot");
      const before = await identity.useCases.createToken("restart@example.com", "survive a reboot");
      const restarted = await createIdentityService({
        database,
        config,
        logger: testLogger(),
        clock,
        eventLog: createInProcessEventLog(),
      });
      const restartedTokens = inProcessClient(TokensService, restarted.tokens);
      expect((await restartedTokens.getJwks({})).jwksJson).toBe((await tokens.getJwks({})).jwksJson);
      const options = { algorithms: ["EdDSA"], issuer: "souk", audience: "souk-api", currentDate: now };
      await expect(jwtVerify(before.accessToken, await jwksOf(restartedTokens), options)).resolves.toBeDefined();
      const after = await restarted.useCases.refreshToken(before.refreshToken);
      expect(decodeProtectedHeader(after.accessToken).kid).toBe(decodeProtectedHeader(before.accessToken).kid);
      await expect(jwtVerify(after.accessToken, await jwksOf(tokens), options)).resolves.toBeDefined();
      expect(await db().selectFrom("signing_keys").select("kid").execute()).toHaveLength(1);
    });
  });

  describe("RefreshToken", () => {
    const login = async (email: string) => {
      await register(email, "refresh me please");
      return identity.useCases.createToken(email, "refresh me please");
    };

    it("rotates: spends the presented token and returns a new pair in the same family", async () => {
      const first = await login("rotate@example.com");
      advanceSeconds(60);
      const { tokens: second } = await tokens.refreshToken({ refreshToken: first.refreshToken });
      expect(second?.refreshToken).not.toBe(first.refreshToken);
      expect(second?.expiresInSeconds).toBe(900);
      const claims = (await verifyAt(second?.accessToken ?? "", now)).payload;
      expect(claims.iat).toBe(now.getTime() / 1000);
      expect(claims.sub).toBe(decodeJwt(first.accessToken).sub);
      const rows = await db()
        .selectFrom("refresh_tokens")
        .selectAll()
        .where("token_hash", "in", [first.refreshToken, second?.refreshToken ?? ""].map(sha256))
        .orderBy("created_at")
        .execute();
      expect(rows).toHaveLength(2);
      expect(rows[0]?.used_at).toEqual(now);
      expect(rows[1]).toMatchObject({ family_id: rows[0]?.family_id, used_at: null, revoked_at: null });
      expect(rows[1]?.expires_at).toEqual(new Date(now.getTime() + 30 * DAY_SECONDS * 1000));
      const third = await identity.useCases.refreshToken(second?.refreshToken ?? "");
      expect(third.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("stores refresh tokens only as their SHA-256", async () => {
      const pair = await login("hashed@example.com");
      const stored = await db().selectFrom("refresh_tokens").select("token_hash").execute();
      expect(stored.map((r) => r.token_hash)).toContain(sha256(pair.refreshToken));
      expect(stored.some((r) => r.token_hash === pair.refreshToken)).toBe(false);
    });

    it("detects reuse of a spent token: revokes its whole family, not the user's other sessions", async () => {
      const stolen = await login("victim@example.com");
      const otherSession = await identity.useCases.createToken("victim@example.com", "refresh me please");
      const legit = await identity.useCases.refreshToken(stolen.refreshToken);
      const error = await tokens.refreshToken({ refreshToken: stolen.refreshToken }).catch((e: unknown) => e);
      expect((error as ConnectError).code).toBe(Code.Unauthenticated);
      expect(fromConnectError(error).code).toBe("IDENTITY_REFRESH_TOKEN_REUSED");
      expect(await codeOf(identity.useCases.refreshToken(legit.refreshToken))).toBe("IDENTITY_INVALID_REFRESH_TOKEN");
      const family = await db()
        .selectFrom("refresh_tokens")
        .select(["revoked_at"])
        .where("family_id", "=", (qb) =>
          qb.selectFrom("refresh_tokens").select("family_id").where("token_hash", "=", sha256(stolen.refreshToken)),
        )
        .execute();
      expect(family).toHaveLength(2);
      expect(family.every((t) => t.revoked_at !== null)).toBe(true);
      await expect(identity.useCases.refreshToken(otherSession.refreshToken)).resolves.toBeDefined();
    });

    it("of two concurrent refreshes with one token, exactly one succeeds; the other is reuse", async () => {
      const pair = await login("double@example.com");
      const results = await Promise.allSettled([
        identity.useCases.refreshToken(pair.refreshToken),
        identity.useCases.refreshToken(pair.refreshToken),
      ]);
      const fulfilled = results.filter((r) => r.status === "fulfilled");
      const rejected = results.filter((r) => r.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect((rejected[0]?.reason as { code?: string }).code).toBe("IDENTITY_REFRESH_TOKEN_REUSED");
      // Strict rotation: the server cannot tell a racing client from a thief, so the family is gone.
      const winner = fulfilled[0]?.value.refreshToken ?? "";
      expect(await codeOf(identity.useCases.refreshToken(winner))).toBe("IDENTITY_INVALID_REFRESH_TOKEN");
    });

    it("refuses unknown, malformed and expired tokens as IDENTITY_INVALID_REFRESH_TOKEN", async () => {
      expect(await codeOf(tokens.refreshToken({ refreshToken: "" }))).toBe("IDENTITY_INVALID_REFRESH_TOKEN");
      expect(await codeOf(tokens.refreshToken({ refreshToken: "not a token" }))).toBe("IDENTITY_INVALID_REFRESH_TOKEN");
      expect(await codeOf(tokens.refreshToken({ refreshToken: "A".repeat(43) }))).toBe(
        "IDENTITY_INVALID_REFRESH_TOKEN",
      );
      const pair = await login("expired@example.com");
      advanceSeconds(30 * DAY_SECONDS);
      expect(await codeOf(identity.useCases.refreshToken(pair.refreshToken))).toBe("IDENTITY_INVALID_REFRESH_TOKEN");
    });

    it("purges tokens only once they expired more than one refresh lifetime ago", async () => {
      const pair = await login("purge@example.com");
      for (let i = 0; i < 4; i += 1) await identity.useCases.createToken("purge@example.com", "refresh me please");
      const isStored = async () =>
        (await db()
          .selectFrom("refresh_tokens")
          .select("token_hash")
          .where("token_hash", "=", sha256(pair.refreshToken))
          .executeTakeFirst()) !== undefined;
      advanceSeconds(30 * DAY_SECONDS + 1); // expired a second ago: kept, so its reuse is still recognized
      await identity.useCases.purgeExpiredRefreshTokens(2);
      expect(await isStored()).toBe(true);
      advanceSeconds(30 * DAY_SECONDS); // expired more than 30 days ago: gone, in batches of 2
      const purged = await identity.useCases.purgeExpiredRefreshTokens(2);
      expect(purged).toBeGreaterThanOrEqual(5);
      expect(await isStored()).toBe(false);
      const expiredLongAgo = await db()
        .selectFrom("refresh_tokens")
        .select("token_hash")
        .where("expires_at", "<", new Date(now.getTime() - 30 * DAY_SECONDS * 1000))
        .execute();
      expect(expiredLongAgo).toEqual([]);
    });
  });

  it("concurrent first starts on one database converge on one signing key", async () => {
    const schema = "identity_first_start";
    await database.migrate(schema, identityMigrations);
    const store = () => createSigningKeyStore(database.forSchema<IdentityDatabase>(schema));
    const signers = await Promise.all([1, 2, 3].map(() => openAccessTokenSigner(store(), now)));
    expect(signers[0]?.jwks().keys).toHaveLength(1);
    for (const signer of signers) expect(signer.jwks()).toEqual(signers[0]?.jwks());
    expect(await store().list()).toHaveLength(1);
  });
});

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
