import { sql, type Kysely, type Migration } from "kysely";

/**
 * Forward-only migrations of the `catalog` schema, applied in name order at startup.
 * pg_trgm is created in the database by the platform (`openDatabase`) before any migration runs.
 */
export const catalogMigrations: Record<string, Migration> = {
  "0001_categories_and_products": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("categories")
        .addColumn("slug", "text", (c) => c.primaryKey().check(sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`))
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable("products")
        .addColumn("id", "uuid", (c) => c.primaryKey())
        .addColumn("sku", "text", (c) =>
          c
            .notNull()
            .unique()
            .check(sql`sku ~ '^[A-Z]{2,5}-[0-9]{6}$'`),
        )
        .addColumn("name", "text", (c) => c.notNull().check(sql`char_length(name) between 1 and 200`))
        .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("category", "text", (c) => c.notNull().references("categories.slug"))
        .addColumn("price_minor", "int8", (c) => c.notNull().check(sql`price_minor >= 0`))
        .addColumn("currency", "text", (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
        .addColumn("images", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        // The search document: name matters most (A), then the category words (B), then the
        // description (C). Stored, so ranking reads it instead of re-parsing text per query.
        .addColumn("search", sql`tsvector`, (c) =>
          c
            .generatedAlwaysAs(
              sql`setweight(to_tsvector('english', name), 'A')
                || setweight(to_tsvector('english', replace(category, '-', ' ')), 'B')
                || setweight(to_tsvector('english', description), 'C')`,
            )
            .stored(),
        )
        .execute();
      await db.schema.createIndex("products_search").on("products").using("gin").column("search").execute();
      // Typo tolerance: `lower(name) %> lower(query)` (word similarity) is served by this index.
      await db.schema
        .createIndex("products_name_trigram")
        .on("products")
        .using("gin")
        .expression(sql`lower(name) gin_trgm_ops`)
        .execute();
      // Keyset pagination when browsing, overall and within a category.
      await db.schema.createIndex("products_name_id").on("products").columns(["name", "id"]).execute();
      await db.schema
        .createIndex("products_category_name_id")
        .on("products")
        .columns(["category", "name", "id"])
        .execute();
    },
  },
};
