import { inboxMigration } from "@souk/messaging";
import { sql, type Kysely, type Migration } from "kysely";

/** Forward-only migrations of the `analytics` schema, applied in name order at startup. */
export const analyticsMigrations: Record<string, Migration> = {
  "0001_facts_and_aggregates": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("consumer_state")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("base_group", "text", (c) => c.notNull())
        .addColumn("consumer_group", "text", (c) => c.notNull())
        .addColumn("started_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable("order_facts")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("total_minor", "int8", (c) => c.notNull())
        .addColumn("status", "text", (c) =>
          c.notNull().check(sql`status in ('placed', 'confirmed', 'cancelled', 'refunded')`),
        )
        .addColumn("lines", "jsonb", (c) => c.notNull())
        .addColumn("cancellation_reason", "text")
        .addColumn("refund_reason", "text")
        .addColumn("placed_at", "timestamptz")
        .addColumn("confirmed_at", "timestamptz")
        .addColumn("cancelled_at", "timestamptz")
        .addColumn("refunded_at", "timestamptz")
        .addColumn("last_event_at", "timestamptz", (c) => c.notNull())
        .addColumn("applied_at", "timestamptz", (c) => c.notNull())
        .addColumn("confirmed_applied_at", "timestamptz")
        .addColumn("confirmed_lag_ms", "int8")
        .execute();
      // GetEventLag reads the most recent live confirmations.
      await db.schema
        .createIndex("order_facts_confirmed_lag")
        .on("order_facts")
        .column("confirmed_applied_at desc")
        .where(sql.ref("confirmed_lag_ms"), "is not", null)
        .execute();
      await db.schema
        .createTable("minute_buckets")
        .addColumn("minute", "timestamptz", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("orders_placed", "int8", (c) => c.notNull())
        .addColumn("orders_confirmed", "int8", (c) => c.notNull())
        .addColumn("orders_cancelled", "int8", (c) => c.notNull())
        .addColumn("orders_refunded", "int8", (c) => c.notNull())
        .addColumn("revenue_minor", "int8", (c) => c.notNull())
        .addColumn("refunds_minor", "int8", (c) => c.notNull())
        .addPrimaryKeyConstraint("minute_buckets_pk", ["minute", "currency"])
        .execute();
      await db.schema
        .createTable("product_sales")
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("units", "int8", (c) => c.notNull())
        .addColumn("revenue_minor", "int8", (c) => c.notNull())
        .addPrimaryKeyConstraint("product_sales_pk", ["product_id", "currency"])
        .execute();
      await db.schema
        .createTable("cancellation_reasons")
        .addColumn("reason", "text", (c) => c.primaryKey())
        .addColumn("count", "int8", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("payment_facts")
        .addColumn("payment_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("amount_minor", "int8", (c) => c.notNull())
        .addColumn("failure_code", "text", (c) => c.notNull())
        .addColumn("at", "timestamptz", (c) => c.notNull())
        .addPrimaryKeyConstraint("payment_facts_pk", ["payment_id", "kind"])
        .execute();
      await db.schema
        .createTable("payment_minutes")
        .addColumn("minute", "timestamptz", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("payments", "int8", (c) => c.notNull())
        .addColumn("amount_minor", "int8", (c) => c.notNull())
        .addPrimaryKeyConstraint("payment_minutes_pk", ["minute", "currency", "kind"])
        .execute();
    },
  },
  "0002_inbox": inboxMigration,
};
