import type { Static } from "typebox";
import type { Kysely } from "kysely";
import { PaymentsService } from "@souk/contracts/payments";
import { createOutboxRelay, type EventLog, type Subscription } from "@souk/messaging";
import { every, newId, type Clock, type Lifecycle, type Logger, type Redis, type SqlDatabase } from "@souk/platform";
import { paymentsHandlers } from "./api/payments.grpc.ts";
import { subscribeToCancelledOrders } from "./events/order-cancelled.consumer.ts";
import type { PaymentsConfig } from "./config.ts";
import { createCardSimulator } from "./provider/card-simulator.provider.ts";
import { createBlockedCardStore, createPostgresVelocityCounter } from "./store/fraud.store.ts";
import { createLedgerStore } from "./store/ledger.store.ts";
import { paymentsMigrations } from "./store/migrations.ts";
import { createPaymentMethodStore } from "./store/payment-method.store.ts";
import { createPaymentStore } from "./store/payment.store.ts";
import type { PaymentsDatabase } from "./store/payments.tables.ts";
import { createSimulatorVault } from "./store/simulator-vault.store.ts";
import { createRedisVelocityCounter } from "./store/velocity.redis-store.ts";
import { authorizePayment } from "./usecases/authorize-payment.usecase.ts";
import { blockCard } from "./usecases/block-card.usecase.ts";
import { capturePayment } from "./usecases/capture-payment.usecase.ts";
import { createPaymentMethod } from "./usecases/create-payment-method.usecase.ts";
import { getPayment } from "./usecases/get-payment.usecase.ts";
import { ledgerBalances, verifyAccountBalances, verifyLedger } from "./usecases/ledger-reports.usecase.ts";
import { refundPayment } from "./usecases/refund-payment.usecase.ts";
import { resumeStalledAuthorizations } from "./usecases/resume-stalled-authorizations.usecase.ts";
import { runAuthorization, type AuthorizationDeps } from "./usecases/run-authorization.usecase.ts";
import { settlePayment } from "./usecases/settle-payment.usecase.ts";
import { voidPayment } from "./usecases/void-payment.usecase.ts";

export { PaymentsConfig } from "./config.ts";

/** The schema payments owns. */
export const PAYMENTS_SCHEMA = "payments";
/** The service's forward-only migrations (Kysely), for its schema (a function of the schema name): what it applies at start, and the embedded store template too. */
export { paymentsMigrations };

/** How often the recovery loop looks for authorizations abandoned by a dead process. */
const RECOVERY_INTERVAL_MS = 10_000;

/**
 * What payments' composition root needs. With `redis`, the fraud velocity counters live in Redis
 * (the distributed topology); without it, in the payments schema of `database`.
 */
export interface PaymentsDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof PaymentsConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** A client from `openRedis`; the caller owns it (opens, awaits `waitForRedis`, closes). */
  readonly redis?: Redis;
  /** Where payments' events go (topic `souk.payments.v1`) and cancelled orders come from. */
  readonly eventLog: EventLog;
}

/** The use cases, as the transports (and tests, and chaos checks) see them. */
export type PaymentsUseCases = ReturnType<typeof createUseCases>;

function createUseCases(
  db: Kysely<PaymentsDatabase>,
  redis: Redis | undefined,
  config: Static<typeof PaymentsConfig>,
  clock: Clock,
  logger: Logger,
  onOutboxWritten: () => void,
) {
  const payments = createPaymentStore(db, onOutboxWritten);
  const methods = createPaymentMethodStore(db);
  const blockedCards = createBlockedCardStore(db);
  const ledger = createLedgerStore(db);
  const provider = createCardSimulator({
    vault: createSimulatorVault(db),
    fingerprintKey: config.PAYMENTS_FINGERPRINT_KEY,
    latencyMs: config.PAYMENTS_SIMULATOR_LATENCY_MS,
    newId,
    clock,
  });
  const authorization: AuthorizationDeps = {
    payments,
    methods,
    provider,
    velocity: redis === undefined ? createPostgresVelocityCounter(db) : createRedisVelocityCounter(redis),
    blockedCards,
    policy: {
      maxAmountMinor: config.PAYMENTS_FRAUD_MAX_AMOUNT_MINOR,
      velocityMax: config.PAYMENTS_FRAUD_VELOCITY_MAX,
      velocityWindowMs: config.PAYMENTS_FRAUD_VELOCITY_WINDOW_MS,
    },
    clock,
    newId,
    logger,
  };
  const run = runAuthorization(authorization);
  const settle = settlePayment({ payments, clock }, run);
  const moves = { payments, provider, clock, newId };
  return {
    createPaymentMethod: createPaymentMethod({ provider, methods, clock, newId }),
    authorizePayment: authorizePayment(authorization, run, settle),
    capturePayment: capturePayment(moves, settle),
    voidPayment: voidPayment(moves, settle),
    refundPayment: refundPayment(moves, settle),
    getPayment: getPayment(payments),
    blockCard: blockCard({ blockedCards, clock }),
    resumeStalledAuthorizations: resumeStalledAuthorizations({ payments, clock, logger }, settle),
    ledgerBalances: ledgerBalances(ledger),
    verifyLedger: verifyLedger(ledger),
    verifyAccountBalances: verifyAccountBalances(ledger),
  };
}

/**
 * Composition root of the payments service: migrates its schema, builds stores (velocity
 * counters in Redis when given) → card simulator (the PSP) → use cases → gRPC handlers, and a
 * recovery loop that, while started, finishes authorizations abandoned by a dead process.
 */
export async function createPaymentsService(deps: PaymentsDeps) {
  await deps.database.migrate(PAYMENTS_SCHEMA, paymentsMigrations(PAYMENTS_SCHEMA));
  const logger = deps.logger.child({ service: "payments" });
  const db = deps.database.forSchema<PaymentsDatabase>(PAYMENTS_SCHEMA);
  const relay = createOutboxRelay({
    db: db as never,
    name: PAYMENTS_SCHEMA,
    publish: (topic, events) => deps.eventLog.publish(topic, events),
    logger,
  });
  const useCases = createUseCases(db, deps.redis, deps.config, deps.clock, logger, () => relay.nudge());
  const recovery = every(
    RECOVERY_INTERVAL_MS,
    async () => {
      const resumed = await useCases.resumeStalledAuthorizations();
      if (resumed > 0) logger.info({ resumed }, "resumed stalled authorizations");
    },
    logger,
    "authorization-recovery",
  );
  let cancelled: Subscription | undefined;
  const lifecycle: Lifecycle = {
    async start() {
      await relay.start();
      await recovery.start();
      cancelled = await subscribeToCancelledOrders({
        eventLog: deps.eventLog,
        db,
        voidPayment: useCases.voidPayment,
        logger,
      });
    },
    async stop() {
      await cancelled?.close();
      await recovery.stop();
      await relay.stop();
    },
  };
  return { service: PaymentsService, handlers: paymentsHandlers(useCases), useCases, relay, ...lifecycle };
}
