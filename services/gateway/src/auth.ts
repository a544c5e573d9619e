import type { FastifyRequest } from "fastify";
import type { Client } from "@connectrpc/connect";
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
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
 */
export function createBearerAuth(deps: {
  readonly tokens: Client<typeof TokensService>;
  readonly issuer: string;
  readonly audience: string;
  readonly clock: Clock;
  readonly logger: Logger;
}): BearerAuth {
  const users = new WeakMap<FastifyRequest, string>();
  let keySet: JWTVerifyGetKey | undefined;
  let fetchedAtMs = Number.NEGATIVE_INFINITY;
  let fetching: Promise<JWTVerifyGetKey> | undefined;

  const fetchKeySet = (): Promise<JWTVerifyGetKey> => {
    fetching ??= (async () => {
      fetchedAtMs = deps.clock().getTime();
      const { jwksJson } = await deps.tokens.getJwks({});
      try {
        keySet = createLocalJWKSet(JSON.parse(jwksJson) as JSONWebKeySet);
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
      const { payload } = await jwtVerify(token, keys, {
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
    let payload = await check(keySet ?? (await fetchKeySet()), token);
    const mayRefetch = fetching !== undefined || deps.clock().getTime() - fetchedAtMs >= JWKS_REFETCH_INTERVAL_MS;
    if (payload === UNKNOWN_KEY && mayRefetch) payload = await check(await fetchKeySet(), token);
    if (payload === UNKNOWN_KEY || typeof payload.sub !== "string" || payload.sub === "") {
      throw unauthenticated(AUTH_INVALID_TOKEN, "the access token is invalid");
    }
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
