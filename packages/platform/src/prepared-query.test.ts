import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareQueries, prepareQuery, standInsOf } from "./prepared-query.ts";
import { openTestPgliteSchema, openTestServerDatabase, type TestSchemaDatabase } from "./testing.ts";

interface ItemsDatabase {
  items: { id: string; shelf: string; count: number; seen_at: Date | null; note: { tags: string[] } | null };
}

async function createItems(db: Kysely<ItemsDatabase>): Promise<void> {
  await db.schema
    .createTable("items")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("shelf", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("seen_at", "timestamptz")
    .addColumn("note", "jsonb")
    .execute();
}

function preparedSuite(name: string, open: (schema: string) => Promise<TestSchemaDatabase>): void {
  describe(`prepareQuery (${name})`, () => {
    let opened: TestSchemaDatabase;
    let db: Kysely<ItemsDatabase>;
    let builds: number;
    const byShelf = prepareQuery((q: Kysely<ItemsDatabase>, p: { shelf: string; atLeast: number }) => {
      builds++;
      return q
        .selectFrom("items")
        .select(["id", "count"])
        .where("shelf", "=", p.shelf)
        .where("count", ">=", p.atLeast)
        .orderBy("id");
    });
    const insert = prepareQuery(
      (q: Kysely<ItemsDatabase>, p: { id: string; shelf: string; seenAt: Date | null; note: unknown }) =>
        q
          .insertInto("items")
          .values({ id: p.id, shelf: p.shelf, count: 1, seen_at: p.seenAt, note: p.note as never })
          .onConflict((oc) => oc.column("id").doNothing())
          .returningAll(),
    );
    const bump = prepareQuery((q: Kysely<ItemsDatabase>, p: { shelf: string; by: number }) =>
      q
        .updateTable("items")
        .set({ count: sql`count + ${p.by}` })
        .where("shelf", "=", p.shelf),
    );

    const insertMany = prepareQueries(
      (q: Kysely<ItemsDatabase>, p: { shelf: string; items: readonly { id: string; count: number }[] }, n: number) =>
        q
          .insertInto("items")
          .values(standInsOf(p.items, n).map((item) => ({ id: item.id, shelf: p.shelf, count: item.count }))),
    );

    beforeAll(async () => {
      opened = await open("prepared");
      await opened.database.migrate(opened.schema, { "0001_items": { up: createItems } });
      db = opened.database.forSchema<ItemsDatabase>(opened.schema);
      builds = 0;
    });
    afterAll(() => opened.close());

    it("runs a write with its values and reads what it wrote, as the built query would", async () => {
      const seenAt = new Date("2026-11-28T01:02:03.456Z");
      const [row] = await insert.rows(db, { id: "a", shelf: "top", seenAt, note: { tags: ["x"] } });
      expect(row).toEqual({ id: "a", shelf: "top", count: 1, seen_at: seenAt, note: { tags: ["x"] } });
      await insert.rows(db, { id: "b", shelf: "top", seenAt: null, note: null });
      await insert.rows(db, { id: "c", shelf: "low", seenAt: null, note: null });
      // A conflict does nothing: no row returned, the first one kept.
      expect(await insert.first(db, { id: "a", shelf: "low", seenAt: null, note: null })).toBeUndefined();
      expect(await db.selectFrom("items").select(["id", "shelf"]).orderBy("id").execute()).toEqual([
        { id: "a", shelf: "top" },
        { id: "b", shelf: "top" },
        { id: "c", shelf: "low" },
      ]);

      expect(await bump.affected(db, { shelf: "top", by: 4 })).toBe(2);
      expect(await bump.affected(db, { shelf: "nowhere", by: 4 })).toBe(0);
      expect(await byShelf.rows(db, { shelf: "top", atLeast: 5 })).toEqual([
        { id: "a", count: 5 },
        { id: "b", count: 5 },
      ]);
      expect(await byShelf.rows(db, { shelf: "low", atLeast: 5 })).toEqual([]);
      expect(await byShelf.first(db, { shelf: "low", atLeast: 1 })).toEqual({ id: "c", count: 1 });
    });

    it("builds once per handle: its transactions reuse the statement, another schema gets its own", async () => {
      const before = builds;
      await byShelf.rows(db, { shelf: "top", atLeast: 0 });
      await db.transaction().execute(async (trx) => {
        expect(await byShelf.rows(trx, { shelf: "low", atLeast: 0 })).toEqual([{ id: "c", count: 1 }]);
      });
      expect(builds - before).toBe(0);
      expect(byShelf.sql(db)).toContain(`"${opened.schema}"."items"`);

      const other = `${opened.schema}_other`;
      await opened.database.migrate(other, { "0001_items": { up: createItems } });
      const otherDb = opened.database.forSchema<ItemsDatabase>(other);
      await otherDb.insertInto("items").values({ id: "z", shelf: "top", count: 9 }).execute();
      expect(await byShelf.rows(otherDb, { shelf: "top", atLeast: 0 })).toEqual([{ id: "z", count: 9 }]);
      expect(builds - before).toBe(1);
      expect(byShelf.sql(otherDb)).toContain(`"${other}"."items"`);
      await sql`drop schema ${sql.id(other)} cascade`.execute(otherDb);
    });

    it("refuses an undefined value before it runs anything", async () => {
      await expect(bump.affected(db, { shelf: "top", by: undefined as unknown as number })).rejects.toThrow(
        /parameter "by" of a prepared query is undefined/,
      );
      expect(await byShelf.rows(db, { shelf: "top", atLeast: 0 })).toEqual([
        { id: "a", count: 5 },
        { id: "b", count: 5 },
      ]);
    });

    it("writes several rows, one statement per row count, each value from its row", async () => {
      const items = [
        { id: "m1", count: 7 },
        { id: "m2", count: 8 },
      ];
      expect(await insertMany(2).affected(db, { shelf: "mid", items })).toBe(2);
      expect(await insertMany(1).affected(db, { shelf: "mid", items: [{ id: "m3", count: 9 }] })).toBe(1);
      expect(insertMany(2)).toBe(insertMany(2));
      expect(insertMany(2).sql(db)).toMatch(/values \(\$1, \$2, \$3\), \(\$4, \$5, \$6\)$/);
      expect(await byShelf.rows(db, { shelf: "mid", atLeast: 0 })).toEqual([
        { id: "m1", count: 7 },
        { id: "m2", count: 8 },
        { id: "m3", count: 9 },
      ]);
      // A row missing from the values is an undefined parameter: refused, nothing written.
      await expect(insertMany(2).affected(db, { shelf: "mid", items: [{ id: "m4", count: 1 }] })).rejects.toThrow(
        /parameter "items.1.id" of a prepared query is undefined/,
      );
      expect(await byShelf.rows(db, { shelf: "mid", atLeast: 0 })).toHaveLength(3);
    });

    it("refuses a value serialized while the query is built", async () => {
      const serialized = prepareQuery((q: Kysely<ItemsDatabase>, p: { note: unknown }) =>
        q
          .selectFrom("items")
          .select("id")
          .where("note", "=", JSON.stringify(p.note) as never),
      );
      await expect(serialized.rows(db, { note: {} })).rejects.toThrow(
        /parameter "note" of a prepared query was serialized while it was built/,
      );
    });

    it("refuses a value spliced into the SQL as text", async () => {
      const spliced = prepareQuery((q: Kysely<ItemsDatabase>, p: { shelf: string }) =>
        q
          .selectFrom("items")
          .select("id")
          .where(sql.raw<boolean>(`shelf = '${p.shelf}'`)),
      );
      await expect(spliced.rows(db, { shelf: "top" })).rejects.toThrow(
        /parameter "shelf" of a prepared query was spliced into its SQL as text/,
      );
    });
  });
}

preparedSuite("embedded PGlite", (schema) => openTestPgliteSchema(schema));
preparedSuite("PostgreSQL server", (schema) => openTestServerDatabase(schema, 2));
