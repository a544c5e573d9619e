import Type from "typebox";

/** Analytics' environment: variable name → schema (parsed once by the launcher). */
export const AnalyticsConfig = Type.Object({
  ANALYTICS_CONSUMER_GROUP: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: "^[A-Za-z0-9._-]+$",
    default: "analytics",
    description:
      "Consumer group analytics reads souk.orders.v1 and souk.payments.v1 with (a rebuild switches to <group>-rebuild-<epoch ms>)",
  }),
  ANALYTICS_REBUILD_ENABLED: Type.Boolean({
    default: true,
    description:
      "Whether RebuildAggregates may wipe and replay: only when the event log keeps every event (Kafka topics with retention.ms=-1); false for the embedded in-memory log",
  }),
  ANALYTICS_METRICS_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 1_000,
    description: "How long one read of the aggregates serves the business metrics of a /metrics scrape",
  }),
});
