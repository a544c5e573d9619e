import type { FastifyRequest } from "fastify";
import type { Client } from "@connectrpc/connect";
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { LRUCache } from "lru-cache";
import type { TokensService } from "@souk/contracts/identity";
import { SoukError, unauthenticated, type Clock, type Logger } from "@souk/platform";

/** No `Authorization: Bearer` credentials on a route that needs them. */
export const AUTH_MISSING_TOKEN = "AUTH_MISSING_TOKEN";
/** The bearer token is malformed, forged, signed by an unknown key, or for another issuer/audience. */
export const AUTH_INVALID_TOKEN = "AUTH_INVALID_TOKEN";
/** The bearer token was genuine but its `exp` has passed. */
export const AUTH_TOKEN_EXPIRED = "AUTH_TOKEN_EXPIRED";

/** Only EdDSA (Ed25519) is accepted: `alg: none`, HMAC (key confusion) and RSA tokens all fail. */
const ALGORITHMS = ["EdDSA"];
/** The `typ` header of access tokens (RFC 9068 §2.1): another kind of JWT from the same issuer is refused. */
const ACCESS_TOKEN_TYPE = "at+jwt";
/** Allowed clock skew between identity and the gateway when checking `exp`/`nbf`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** A token with an unknown `kid` refetches the JWKS at most this often (key rotation vs. a flood of forgeries). */
const JWKS_REFETCH_INTERVAL_MS = 30_000;
/** RFC 6750 §2.1 b64token after `Bearer `. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** What `check` answers when the token names a key the set does not hold. */
const UNKNOWN_KEY = Symbol("unknown key");
/**
 * Tokens a process remembers as verified (least recently used dropped first): ~0.5 KB each, so
 * ~5 MB when full — a customer's token is verified once per process, not on every request.
 */
const VERIFIED_TOKENS_MAX = 10_000;

/** A token that passed verification: whose it is, and until when it stays valid (ms since the epoch). */
interface VerifiedToken {
  readonly userId: string;
  readonly validUntilMs: number;
}

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 9110 §15.5.2 requires one on every 401):
 * `invalid_token` when a bearer token was bad (RFC 6750 §3.1), no error code when credentials
 * were missing or the 401 came from elsewhere (a wrong password at login).
 */
export function bearerChallenge(code: string): string {
  if (code === AUTH_TOKEN_EXPIRED) {
    return 'Bearer realm="souk", error="invalid_token", error_description="the access token expired"';
  }
  if (code === AUTH_INVALID_TOKEN) {
    return 'Bearer realm="souk", error="invalid_token", error_description="the access token is invalid"';
  }
  return 'Bearer realm="souk"';
}

/** Verifies bearer access tokens and remembers who made each request. */
export interface BearerAuth {
  /**
   * A Fastify `onRequest` hook for routes that need a user: verifies `Authorization: Bearer <jwt>`
   * before the body is read.
   * @throws SoukError unauthenticated (AUTH_MISSING_TOKEN, AUTH_INVALID_TOKEN, AUTH_TOKEN_EXPIRED);
   *   a ConnectError when identity cannot serve its JWKS (→ 503).
   */
  readonly requireUser: (request: FastifyRequest) => Promise<void>;
  /**
   * The user id (the token's `sub`) of a request that passed `requireUser`: the ONLY source of
   * the user id for a service call.
   * @throws Error when the route has no `requireUser` hook (a programming error → 500).
   */
  readonly userIdOf: (request: FastifyRequest) => string;
  /** Verifies one compact JWS access token; resolves to its subject. Throws like `requireUser`. */
  readonly verifyAccessToken: (token: string) => Promise<{ userId: string }>;
}

/**
 * Bearer authentication against identity's signing keys: `jwtVerify` (jose) with a local JWK Set
 * fetched from `Tokens.GetJwks` on first use; EdDSA only, `typ: at+jwt`, required `iss`/`aud`/`sub`/`exp`
 * (5 s clock tolerance). A token whose `kid` is not in the set refetches the set (key rotation), at
 * most once per 30 s. Token contents are never echoed or logged.
 *
 * A verified token is remembered (the exact compact JWS as the key, up to `VERIFIED_TOKENS_MAX`)
 * until its `exp` plus the tolerance, as Envoy's JWT filter caches verified tokens
 * (`jwt_cache_config`): the same bytes verify the same way against the same keys, so only time
 * can change the answer, and every use checks it. A refetched key set forgets them all. Verifying
 * one token costs ~0.25 ms of CPU (Ed25519 through WebCrypto and jose's checks), and an
 * authenticated request asked twice (the rate limiter's key, then the route's `requireUser`).
 */
export function createBearerAuth(deps: {
  readonly tokens: Client<typeof TokensService>;
  readonly issuer: string;
  readonly audience: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** jose's `jwtVerify`, or a wrapper of it (tests count the verifications). */
  readonly verifyJwt?: typeof jwtVerify;
}): BearerAuth {
  const verifyJwt = deps.verifyJwt ?? jwtVerify;
  const users = new WeakMap<FastifyRequest, string>();
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS_MAX });
  let keySet: JWTVerifyGetKey | undefined;
  let fetchedAtMs = Number.NEGATIVE_INFINITY;
  let fetching: Promise<JWTVerifyGetKey> | undefined;

  const fetchKeySet = (): Promise<JWTVerifyGetKey> => {
    fetching ??= (async () => {
      fetchedAtMs = deps.clock().getTime();
      const { jwksJson } = await deps.tokens.getJwks({});
      try {
        keySet = createLocalJWKSet(JSON.parse(jwksJson) as JSONWebKeySet);
        verified.clear();
      } catch (error) {
        throw new SoukError("internal", "AUTH_JWKS_INVALID", "identity served an invalid JWK Set", { cause: error });
      }
      deps.logger.info("fetched the token signing keys");
      return keySet;
    })().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  /** The verified claims, or UNKNOWN_KEY when no key of `keys` has the token's `kid`. */
  const check = async (keys: JWTVerifyGetKey, token: string): Promise<JWTPayload | typeof UNKNOWN_KEY> => {
    try {
      const { payload } = await verifyJwt(token, keys, {
        algorithms: ALGORITHMS,
        issuer: deps.issuer,
        audience: deps.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["sub", "exp"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: deps.clock(),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return UNKNOWN_KEY;
      if (error instanceof errors.JWTExpired) throw unauthenticated(AUTH_TOKEN_EXPIRED, "the access token expired");
      if (!(error instanceof errors.JOSEError)) {
        deps.logger.warn({ err: error }, "unexpected token verification failure");
      }
      throw unauthenticated(AUTH_INVALID_TOKEN, "the access token is invalid");
    }
  };

  const verifyAccessToken = async (token: string): Promise<{ userId: string }> => {
    const known = verified.get(token);
    if (known !== undefined) {
      if (deps.clock().getTime() < known.validUntilMs) return { userId: known.userId };
      verified.delete(token);
      throw unauthenticated(AUTH_TOKEN_EXPIRED, "the access token expired");
    }
    let payload = await check(keySet ?? (await fetchKeySet()), token);
    const mayRefetch = fetching !== undefined || deps.clock().getTime() - fetchedAtMs >= JWKS_REFETCH_INTERVAL_MS;
    if (payload === UNKNOWN_KEY && mayRefetch) payload = await check(await fetchKeySet(), token);
    if (payload === UNKNOWN_KEY || typeof payload.sub !== "string" || payload.sub === "") {
      throw unauthenticated(AUTH_INVALID_TOKEN, "the access token is invalid");
    }
    // jose refuses a token once exp <= now - tolerance (seconds): valid while now < exp + tolerance.
    // `exp` is a required claim, so jose has checked it is a number.
    verified.set(token, { userId: payload.sub, validUntilMs: (Number(payload.exp) + CLOCK_TOLERANCE_SECONDS) * 1000 });
    return { userId: payload.sub };
  };

  return {
    async requireUser(request) {
      const header = request.headers.authorization;
      if (header === undefined || /^bearer *$/i.test(header) || !/^bearer /i.test(header)) {
        throw unauthenticated(AUTH_MISSING_TOKEN, "send Authorization: Bearer <access token>");
      }
      const token = BEARER.exec(header)?.[1];
      if (token === undefined) throw unauthenticated(AUTH_INVALID_TOKEN, "the access token is invalid");
      users.set(request, (await verifyAccessToken(token)).userId);
    },
    userIdOf(request) {
      const userId = users.get(request);
      if (userId === undefined) throw new Error(`route ${request.routeOptions.url ?? "?"} has no requireUser hook`);
      return userId;
    },
    verifyAccessToken,
  };
}
