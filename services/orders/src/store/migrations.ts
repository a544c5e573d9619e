import { sql, type Kysely, type Migration } from "kysely";
import { outboxMigration } from "@souk/messaging";

/** Forward-only migrations of the `orders` schema, applied in name order at startup. */
export const ordersMigrations: Record<string, Migration> = {
  "0001_orders_and_saga": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("orders")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) =>
          c.notNull().check(sql`status in ('PENDING', 'CONFIRMED', 'CANCELLED', 'REFUNDED')`),
        )
        .addColumn("total_minor", "int8", (c) => c.notNull().check(sql`total_minor >= 0`))
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("shipping_address", "jsonb", (c) => c.notNull())
        .addColumn("payment_method_id", "text", (c) => c.notNull())
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("request_fingerprint", "text", (c) => c.notNull())
        .addColumn("cancellation_reason", "text")
        .addColumn("saga_phase", "text", (c) =>
          c.notNull().check(sql`saga_phase in ('forward', 'compensating', 'capturing', 'refunding', 'done')`),
        )
        .addColumn("saga_step", "int4", (c) => c.notNull())
        .addColumn("saga_attempts", "int4", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull())
        .addColumn("lease_owner", "text")
        .addColumn("lease_until", "timestamptz")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addUniqueConstraint("orders_idempotency_key", ["user_id", "idempotency_key"])
        .execute();
      await db.schema.createIndex("orders_by_user").on("orders").columns(["user_id", "id desc"]).execute();
      await db.schema
        .createIndex("orders_saga_due")
        .on("orders")
        .column("next_attempt_at")
        .where(sql.ref("saga_phase"), "<>", "done")
        .execute();
      await db.schema
        .createTable("order_lines")
        .addColumn("order_id", "text", (c) => c.notNull().references("orders.id"))
        .addColumn("line_no", "int4", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("sku", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("quantity", "int8", (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn("unit_price_minor", "int8", (c) => c.notNull())
        .addColumn("line_total_minor", "int8", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("order_lines_pk", ["order_id", "line_no"])
        .execute();
      await db.schema
        .createTable("saga_log")
        .addColumn("id", "int8", (c) => c.generatedAlwaysAsIdentity().primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull().references("orders.id"))
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("detail", "text")
        .addColumn("phase_after", "text", (c) => c.notNull())
        .addColumn("status_after", "text", (c) => c.notNull())
        .addColumn("at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("saga_log_by_order").on("saga_log").columns(["order_id", "id"]).execute();
    },
  },
  "0100_outbox": outboxMigration,
};
