import { sql, type Kysely, type Migration } from "kysely";
import { inboxMigration, outboxMigration } from "@souk/messaging";

/** Forward-only migrations of the `notifications` schema, applied in name order at startup. */
export const notificationsMigrations: Record<string, Migration> = {
  "0001_endpoints_events_deliveries": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("webhook_endpoints")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("event_types", sql`text[]`, (c) => c.notNull().check(sql`cardinality(event_types) > 0`))
        .addColumn("active", "boolean", (c) => c.notNull().defaultTo(true))
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("deactivated_at", "timestamptz")
        .execute();
      // The facts of each accepted event: what its email and webhooks say.
      await db.schema
        .createTable("events")
        .addColumn("event_id", "text", (c) => c.primaryKey())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable("deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event_id", "text", (c) => c.notNull().references("events.event_id"))
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("channel", "text", (c) => c.notNull().check(sql`channel in ('email', 'webhook')`))
        .addColumn("endpoint_id", "text", (c) => c.references("webhook_endpoints.id"))
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'sent', 'dead')`))
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_error", "text")
        .addColumn("leased_until", "timestamptz")
        // When a job was last written for it or an attempt last started: a pending delivery idle
        // for longer than any retry delay lost its job (see requeueStalled).
        .addColumn("last_activity_at", "timestamptz", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("sent_at", "timestamptz")
        .addCheckConstraint("deliveries_endpoint_per_channel", sql`(channel = 'email') = (endpoint_id is null)`)
        .execute();
      // Exactly one email per event and one webhook per (event, endpoint), whatever redelivers.
      await db.schema
        .createIndex("deliveries_once")
        .on("deliveries")
        .unique()
        .expression(sql`event_id, channel, coalesce(endpoint_id, '')`)
        .execute();
      await db.schema.createIndex("deliveries_by_order").on("deliveries").columns(["order_id", "created_at"]).execute();
      await db.schema
        .createIndex("deliveries_pending")
        .on("deliveries")
        .column("last_activity_at")
        .where(sql.ref("status"), "=", "pending")
        .execute();
      await db.schema
        .createTable("dead_letters")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("job_id", "text", (c) => c.notNull().unique())
        .addColumn("delivery_id", "text", (c) => c.references("deliveries.id"))
        .addColumn("queue", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("failed_at", "timestamptz", (c) => c.notNull())
        .addColumn("replayed_at", "timestamptz")
        .execute();
    },
  },
  "0100_outbox": outboxMigration,
  "0101_inbox": inboxMigration,
};
