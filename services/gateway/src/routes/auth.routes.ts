import type { Client } from "@connectrpc/connect";
import type { TokensService, UsersService } from "@souk/contracts/identity";
import type { HttpServer } from "@souk/platform";
import { toTokenResponse, toUserDto } from "../mapping/auth.mapping.ts";
import {
  JwksResponse,
  LoginBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokenResponse,
} from "../schemas/auth.schemas.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";

/** Token responses must not be cached (RFC 6749 §5.1). */
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * Accounts and tokens: POST /v1/auth/register, /v1/auth/login, /v1/auth/refresh, and the public
 * signing keys at GET /.well-known/jwks.json. None needs a bearer token.
 */
export function authRoutes(
  app: HttpServer,
  deps: { users: Client<typeof UsersService>; tokens: Client<typeof TokensService> },
): void {
  app.post(
    "/v1/auth/register",
    {
      schema: {
        tags: ["auth"],
        operationId: "register",
        summary: "Create an account",
        body: RegisterBody,
        response: { 201: jsonResponse("The new account", RegisterResponse), ...problemResponses(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { user } = await deps.users.registerUser(request.body);
      return reply.code(201).send({ user: toUserDto(user) });
    },
  );

  app.post(
    "/v1/auth/login",
    {
      schema: {
        tags: ["auth"],
        operationId: "login",
        summary: "Exchange email and password for an access and a refresh token",
        body: LoginBody,
        response: { 200: jsonResponse("A token pair", TokenResponse), ...problemResponses(401, 413, 415) },
      },
    },
    async (request, reply) => {
      const { tokens } = await deps.tokens.createToken(request.body);
      return reply.headers(NO_STORE).send(toTokenResponse(tokens));
    },
  );

  app.post(
    "/v1/auth/refresh",
    {
      schema: {
        tags: ["auth"],
        operationId: "refreshToken",
        summary: "Rotate a refresh token (single use) for a new token pair",
        body: RefreshBody,
        response: { 200: jsonResponse("A new token pair", TokenResponse), ...problemResponses(401, 413, 415) },
      },
    },
    async (request, reply) => {
      const { tokens } = await deps.tokens.refreshToken({ refreshToken: request.body.refreshToken });
      return reply.headers(NO_STORE).send(toTokenResponse(tokens));
    },
  );

  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        tags: ["auth"],
        operationId: "getJwks",
        summary: "The public keys that verify access tokens (JWK Set, RFC 7517)",
        response: { 200: jsonResponse("The JWK Set", JwksResponse), ...problemResponses() },
      },
    },
    async (_request, reply) => {
      const { jwksJson } = await deps.tokens.getJwks({});
      return reply.header("cache-control", "public, max-age=300").send(JSON.parse(jwksJson) as { keys: object[] });
    },
  );
}
