import type { Client } from "@connectrpc/connect";
import type { Static } from "typebox";
import type { CartService } from "@souk/contracts/cart";
import type { InventoryService } from "@souk/contracts/inventory";
import { OrdersService } from "@souk/contracts/orders";
import type { PaymentsService } from "@souk/contracts/payments";
import { createOutboxRelay, type EventLog } from "@souk/messaging";
import { createSupervisor, every, newId, type Clock, type Logger, type SqlDatabase } from "@souk/platform";
import { ordersHandlers } from "./api/orders.grpc.ts";
import { cartPort } from "./clients/cart.client.ts";
import { inventoryStockPort } from "./clients/inventory.client.ts";
import { paymentsPort } from "./clients/payments.client.ts";
import type { OrdersConfig } from "./config.ts";
import { createOrderStore, type OrdersDatabase } from "./store/order.store.ts";
import { ordersMigrations } from "./store/migrations.ts";
import { advanceSaga } from "./usecases/advance-saga.usecase.ts";
import { cancelOrder } from "./usecases/cancel-order.usecase.ts";
import { checkout } from "./usecases/checkout.usecase.ts";
import { getOrder } from "./usecases/get-order.usecase.ts";
import { listOrders } from "./usecases/list-orders.usecase.ts";
import { resumeSagas } from "./usecases/resume-sagas.usecase.ts";

export { OrdersConfig } from "./config.ts";

/** The schema orders owns. */
export const ORDERS_SCHEMA = "orders";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { ordersMigrations };

/** What orders' composition root needs: its database and the clients of its saga participants. */
export interface OrdersDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof OrdersConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly cart: Client<typeof CartService>;
  readonly inventory: Client<typeof InventoryService>;
  readonly payments: Client<typeof PaymentsService>;
  /** Where the outbox relay publishes orders' events (topic `souk.orders.v1`). */
  readonly eventLog: EventLog;
  /** Source of randomness for backoff jitter (default Math.random). */
  readonly random?: () => number;
}

/** The use cases, as the transports see them. */
export interface OrdersUseCases {
  readonly checkout: ReturnType<typeof checkout>;
  readonly getOrder: ReturnType<typeof getOrder>;
  readonly listOrders: ReturnType<typeof listOrders>;
  readonly cancelOrder: ReturnType<typeof cancelOrder>;
  readonly resumeSagas: ReturnType<typeof resumeSagas>;
}

/**
 * Composition root of the orders service: migrates its schema, wires store + participant
 * ports → saga runner → use cases → gRPC handlers, and a recovery loop that resumes every
 * saga with work due (after a crash, a restart or a backoff) while started.
 */
export async function createOrdersService(deps: OrdersDeps) {
  await deps.database.migrate(ORDERS_SCHEMA, ordersMigrations);
  const logger = deps.logger.child({ service: "orders" });
  const db = deps.database.forSchema<OrdersDatabase>(ORDERS_SCHEMA);
  const relay = createOutboxRelay({
    db: db as never,
    name: ORDERS_SCHEMA,
    publish: (topic, events) => deps.eventLog.publish(topic, events),
    logger,
  });
  const store = createOrderStore(db, () => relay.nudge());
  const supervisor = createSupervisor(logger);
  const cart = cartPort(deps.cart);
  const payments = paymentsPort(deps.payments);
  let stopping = false;
  // Leases name this process's runner; checkout inserts an order already leased to it.
  const owner = `orders-${process.pid}-${newId()}`;
  const advance = advanceSaga({
    store,
    stock: inventoryStockPort(deps.inventory),
    payments,
    cart,
    clock: deps.clock,
    random: deps.random ?? Math.random,
    policy: {
      baseDelayMs: deps.config.ORDERS_RETRY_BASE_MS,
      maxDelayMs: deps.config.ORDERS_RETRY_MAX_MS,
      forwardTimeoutMs: deps.config.ORDERS_SAGA_TIMEOUT_MS,
    },
    owner,
    leaseMs: deps.config.ORDERS_SAGA_LEASE_MS,
    reservationTtlMs: deps.config.ORDERS_RESERVATION_TTL_MS,
    logger,
    stopping: () => stopping,
  });
  const find = getOrder(store);
  const useCases: OrdersUseCases = {
    checkout: checkout({
      store,
      payments,
      cart,
      advance,
      supervisor,
      clock: deps.clock,
      newId,
      fingerprintKey: deps.config.ORDERS_FINGERPRINT_KEY,
      owner,
      leaseMs: deps.config.ORDERS_SAGA_LEASE_MS,
      defaultWaitMs: deps.config.ORDERS_CHECKOUT_WAIT_MS,
    }),
    getOrder: find,
    listOrders: listOrders(store),
    cancelOrder: cancelOrder({
      store,
      find,
      advance,
      supervisor,
      clock: deps.clock,
      waitMs: deps.config.ORDERS_CHECKOUT_WAIT_MS,
      owner,
      leaseMs: deps.config.ORDERS_SAGA_LEASE_MS,
    }),
    resumeSagas: resumeSagas(store, advance, deps.clock),
  };
  const recovery = every(
    deps.config.ORDERS_RECOVERY_INTERVAL_MS,
    async () => {
      const resumed = await useCases.resumeSagas();
      if (resumed > 0) logger.info({ resumed }, "resumed sagas");
    },
    logger,
    "saga-recovery",
  );
  return {
    service: OrdersService,
    handlers: ordersHandlers(useCases),
    useCases,
    /** The outbox relay (tests drain it). */
    relay,
    async start() {
      stopping = false;
      await relay.start();
      await recovery.start();
    },
    async stop() {
      stopping = true;
      await recovery.stop();
      await supervisor.drain();
      await relay.stop();
    },
  };
}
