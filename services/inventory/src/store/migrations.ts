import { sql, type Kysely, type Migration } from "kysely";

/** Forward-only migrations of the `inventory` schema, applied in name order at startup. */
export const inventoryMigrations: Record<string, Migration> = {
  "0001_stock_and_reservations": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("stock")
        .addColumn("sku", "text", (c) => c.primaryKey())
        .addColumn("on_hand", "int8", (c) => c.notNull().check(sql`on_hand >= 0`))
        .addColumn("reserved", "int8", (c) =>
          c
            .notNull()
            .defaultTo(0)
            .check(sql`reserved >= 0`),
        )
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addCheckConstraint("stock_reserved_within_on_hand", sql`reserved <= on_hand`)
        .execute();
      await db.schema
        .createTable("reservations")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("status", "text", (c) =>
          c.notNull().check(sql`status in ('HELD', 'COMMITTED', 'RELEASED', 'RESTOCKED')`),
        )
        .addColumn("expires_at", "timestamptz", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex("reservations_held_expiry")
        .on("reservations")
        .column("expires_at")
        .where(sql.ref("status"), "=", "HELD")
        .execute();
      await db.schema
        .createTable("reservation_lines")
        .addColumn("order_id", "text", (c) => c.notNull().references("reservations.order_id"))
        .addColumn("sku", "text", (c) => c.notNull().references("stock.sku"))
        .addColumn("quantity", "int8", (c) => c.notNull().check(sql`quantity > 0`))
        .addPrimaryKeyConstraint("reservation_lines_pk", ["order_id", "sku"])
        .execute();
    },
  },
};
