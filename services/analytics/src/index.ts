import type { Static } from "typebox";
import { AnalyticsService } from "@souk/contracts/analytics";
import type { EventLog } from "@souk/messaging";
import { createSupervisor, type Clock, type Logger, type Metrics, type SqlDatabase } from "@souk/platform";
import { analyticsHandlers } from "./api/analytics.grpc.ts";
import { registerAnalyticsMetrics } from "./api/analytics.metrics.ts";
import type { AnalyticsConfig } from "./config.ts";
import { createAnalyticsConsumer } from "./events/analytics.consumer.ts";
import { createAnalyticsStore, type AnalyticsDatabase } from "./store/analytics.store.ts";
import { analyticsMigrations } from "./store/migrations.ts";
import { getCancellationReasons } from "./usecases/get-cancellation-reasons.usecase.ts";
import { getEventLag } from "./usecases/get-event-lag.usecase.ts";
import { getSummary } from "./usecases/get-summary.usecase.ts";
import { getTimeseries } from "./usecases/get-timeseries.usecase.ts";
import { getTopProducts } from "./usecases/get-top-products.usecase.ts";
import { rebuildAggregates } from "./usecases/rebuild-aggregates.usecase.ts";
import { recordEvent } from "./usecases/record-event.usecase.ts";

export { AnalyticsConfig } from "./config.ts";
export { ANALYTICS_TOPICS } from "./events/analytics.consumer.ts";

/** The schema analytics owns. */
export const ANALYTICS_SCHEMA = "analytics";
/** The service's forward-only migrations (Kysely), for its schema: what it applies at start, and the embedded store template too. */
export { analyticsMigrations };

/** What analytics' composition root needs. */
export interface AnalyticsDeps {
  readonly database: SqlDatabase;
  readonly config: Static<typeof AnalyticsConfig>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The event log holding souk.orders.v1 and souk.payments.v1 (Kafka, or the in-process one embedded). */
  readonly eventLog: EventLog;
  /** The process's metrics: the business metrics are registered on `metrics.registry` (served at /metrics). */
  readonly metrics: Metrics;
}

/** The use cases, as the transports see them. */
export interface AnalyticsUseCases {
  readonly recordEvent: ReturnType<typeof recordEvent>;
  readonly getSummary: ReturnType<typeof getSummary>;
  readonly getTimeseries: ReturnType<typeof getTimeseries>;
  readonly getTopProducts: ReturnType<typeof getTopProducts>;
  readonly getCancellationReasons: ReturnType<typeof getCancellationReasons>;
  readonly getEventLag: ReturnType<typeof getEventLag>;
  readonly rebuildAggregates: ReturnType<typeof rebuildAggregates>;
}

/**
 * Composition root of the analytics service: migrates its schema, creates its consumer generation
 * (ANALYTICS_CONSUMER_GROUP on first run), wires store → use cases → gRPC handlers and Prometheus
 * business metrics, and a consumer of the orders and payments topics that runs while started.
 * The topics must exist (the launcher's `ensureTopics(TOPIC_SPECS)`) before `start`.
 */
export async function createAnalyticsService(deps: AnalyticsDeps) {
  await deps.database.migrate(ANALYTICS_SCHEMA, analyticsMigrations);
  const logger = deps.logger.child({ service: "analytics" });
  const store = createAnalyticsStore(deps.database.forSchema<AnalyticsDatabase>(ANALYTICS_SCHEMA), ANALYTICS_SCHEMA);
  const baseGroup = deps.config.ANALYTICS_CONSUMER_GROUP;
  await store.ensureConsumerState(baseGroup, deps.clock());
  const supervisor = createSupervisor(logger);
  const queries = {
    getSummary: getSummary(store),
    getCancellationReasons: getCancellationReasons(store),
  };
  const { eventLag } = registerAnalyticsMetrics({
    registry: deps.metrics.registry,
    source: { summary: () => queries.getSummary(), cancellationReasons: queries.getCancellationReasons },
    logger,
    clock: deps.clock,
    cacheMs: deps.config.ANALYTICS_METRICS_CACHE_MS,
  });
  const record = recordEvent(store, deps.clock);
  const consumer = createAnalyticsConsumer({
    eventLog: deps.eventLog,
    record,
    currentGroup: async () => (await store.ensureConsumerState(baseGroup, deps.clock())).consumerGroup,
    lag: eventLag,
    logger,
    supervisor,
  });
  const useCases: AnalyticsUseCases = {
    ...queries,
    recordEvent: record,
    getTimeseries: getTimeseries(store, deps.clock),
    getTopProducts: getTopProducts(store),
    getEventLag: getEventLag(store),
    rebuildAggregates: rebuildAggregates({
      store,
      consumer,
      clock: deps.clock,
      baseGroup,
      enabled: deps.config.ANALYTICS_REBUILD_ENABLED,
    }),
  };
  return {
    service: AnalyticsService,
    handlers: analyticsHandlers(useCases),
    useCases,
    start: () => consumer.start(),
    async stop() {
      await consumer.stop();
      // A group switch queued by a stale event sees the consumer stopped and does nothing.
      await supervisor.drain();
    },
  };
}
