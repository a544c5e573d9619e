import type { Static } from "typebox";
import type { Kysely } from "kysely";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TokensService, UsersService } from "@souk/contracts/identity";
import { createOutboxRelay, type EventLog } from "@souk/messaging";
import { every, newId, type Clock, type Logger, type Metrics, type SqlDatabase } from "@souk/platform";
import { tokensHandlers, usersHandlers } from "./api/identity.grpc.ts";
import { registerIdentityMetrics } from "./api/identity.metrics.ts";
import type { IdentityConfig } from "./config.ts";
import { openAccessTokenSigner } from "./crypto/access-token.signer.ts";
import { createPasswordHasher } from "./crypto/password.hasher.ts";
import { randomRefreshTokenSecret } from "./crypto/refresh-token.secret.ts";
import type { AccessTokenSigner, TokenPolicy } from "./domain/access-token.ts";
import type { PasswordHasher } from "./domain/user.ts";
import type { IdentityDatabase } from "./store/identity.schema.ts";
import { identityMigrations } from "./store/migrations.ts";
import { createRefreshTokenStore } from "./store/refresh-token.store.ts";
import { createSigningKeyStore } from "./store/signing-key.store.ts";
import { createUserStore } from "./store/user.store.ts";
import { createToken } from "./usecases/create-token.usecase.ts";
import { getJwks } from "./usecases/get-jwks.usecase.ts";
import { getUser } from "./usecases/get-user.usecase.ts";
import { purgeExpiredRefreshTokens } from "./usecases/purge-expired-refresh-tokens.usecase.ts";
import { refreshToken } from "./usecases/refresh-token.usecase.ts";
import { registerUser } from "./usecases/register-user.usecase.ts";

export { IdentityConfig } from "./config.ts";

/** The schema identity owns. */
export const IDENTITY_SCHEMA = "identity";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { identityMigrations };

/** How often expired refresh tokens are purged (one hour). */
const REFRESH_TOKEN_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** What identity's composition root needs. */
export interface IdentityDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof IdentityConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Where identity's events go (topic `souk.users.v1`). */
  readonly eventLog: EventLog;
  /** The process's metrics: when given, identity's own gauges are registered on `metrics.registry`. */
  readonly metrics?: Metrics;
}

/** The use cases, as the transports see them. */
export type IdentityUseCases = ReturnType<typeof createUseCases>;

/** The composed identity service: the handlers of its two gRPC services, its use cases and lifecycle. */
export interface IdentityService {
  readonly users: ServiceImpl<typeof UsersService>;
  readonly tokens: ServiceImpl<typeof TokensService>;
  readonly useCases: IdentityUseCases;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function createUseCases(
  db: Kysely<IdentityDatabase>,
  hasher: PasswordHasher,
  signer: AccessTokenSigner,
  policy: TokenPolicy,
  clock: Clock,
  logger: Logger,
  onOutboxWritten: () => void,
) {
  const users = createUserStore(db, onOutboxWritten);
  const refreshTokens = createRefreshTokenStore(db);
  const tokenDeps = { users, refreshTokens, signer, policy, clock, newId, newSecret: randomRefreshTokenSecret };
  return {
    registerUser: registerUser({ users, hasher, clock, newId }),
    getUser: getUser(users),
    createToken: createToken({ ...tokenDeps, hasher }),
    refreshToken: refreshToken({ ...tokenDeps, logger }),
    getJwks: getJwks(signer),
    purgeExpiredRefreshTokens: purgeExpiredRefreshTokens(refreshTokens, clock, policy.refreshTokenTtlSeconds),
  };
}

/**
 * Composition root of the identity service: migrates its schema, loads (or, on the first
 * start on a database, generates and persists) the Ed25519 signing key, builds stores → use
 * cases → gRPC handlers of UsersService and TokensService, and a sweeper that purges long
 * expired refresh tokens while started.
 * @throws Error when a migration fails.
 */
export async function createIdentityService(deps: IdentityDeps): Promise<IdentityService> {
  await deps.database.migrate(IDENTITY_SCHEMA, identityMigrations);
  const db = deps.database.forSchema<IdentityDatabase>(IDENTITY_SCHEMA);
  const logger = deps.logger.child({ service: "identity" });
  const policy: TokenPolicy = {
    issuer: deps.config.IDENTITY_ISSUER,
    audience: deps.config.IDENTITY_AUDIENCE,
    accessTokenTtlSeconds: deps.config.IDENTITY_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: deps.config.IDENTITY_REFRESH_TOKEN_TTL_SECONDS,
  };
  const signer = await openAccessTokenSigner(createSigningKeyStore(db), deps.clock());
  const hasher = await createPasswordHasher();
  if (deps.metrics !== undefined) registerIdentityMetrics(deps.metrics.registry, hasher);
  const relay = createOutboxRelay({
    db: db as never,
    name: IDENTITY_SCHEMA,
    publish: (topic, events) => deps.eventLog.publish(topic, events),
    logger,
  });
  const useCases = createUseCases(db, hasher, signer, policy, deps.clock, logger, () => relay.nudge());
  const sweeper = every(
    REFRESH_TOKEN_PURGE_INTERVAL_MS,
    async () => {
      const purged = await useCases.purgeExpiredRefreshTokens();
      if (purged > 0) logger.info({ purged }, "purged expired refresh tokens");
    },
    logger,
    "refresh-token-purge",
  );
  return {
    users: usersHandlers(useCases),
    tokens: tokensHandlers(useCases),
    useCases,
    async start() {
      await relay.start();
      await sweeper.start();
    },
    async stop() {
      await sweeper.stop();
      await relay.stop();
    },
  };
}
