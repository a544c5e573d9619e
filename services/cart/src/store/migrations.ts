import { sql, type Kysely, type Migration } from "kysely";

/** Forward-only migrations of the `cart` schema, applied in name order at startup. */
export const cartMigrations: Record<string, Migration> = {
  "0001_carts_and_lines": {
    async up(db: Kysely<unknown>) {
      // One row per live cart: its row lock serializes writes to the cart, and `expires_at`
      // (refreshed by every write) implements the TTL.
      await db.schema
        .createTable("carts")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addColumn("expires_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("carts_expires_at").on("carts").column("expires_at").execute();
      await db.schema
        .createTable("cart_lines")
        .addColumn("user_id", "text", (c) => c.notNull().references("carts.user_id").onDelete("cascade"))
        .addColumn("product_id", "text", (c) => c.notNull())
        // Insertion order of the lines (timestamps can tie); an add to an existing line keeps its place.
        .addColumn("seq", "int8", (c) => c.generatedAlwaysAsIdentity())
        .addColumn("quantity", "integer", (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn("added_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addPrimaryKeyConstraint("cart_lines_pk", ["user_id", "product_id"])
        .execute();
    },
  },
};
