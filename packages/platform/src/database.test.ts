import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely, type Migration } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type SqlDatabase } from "./database.ts";

/** A migration creating `table`, counting how many times it ran. */
function creating(table: string, runs: Map<string, number>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      runs.set(table, (runs.get(table) ?? 0) + 1);
      await db.schema
        .createTable(table)
        .addColumn("id", "integer", (c) => c.primaryKey())
        .execute();
    },
  };
}

describe("SqlDatabase.migrate (embedded PGlite)", () => {
  let database: SqlDatabase;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
  });
  afterAll(async () => {
    await database.close();
  });

  it("applies pending migrations once, skips a schema already up to date, rejects a vanished one", async () => {
    const runs = new Map<string, number>();
    const first = { "0001_a": creating("a", runs) };
    const both = { ...first, "0002_b": creating("b", runs) };

    await database.migrate("mig", first);
    // Up to date: nothing runs (the fast path), whatever the number of starts.
    await database.migrate("mig", first);
    await database.migrate("mig", first);
    expect(Object.fromEntries(runs)).toEqual({ a: 1 });

    // A new migration: only it runs.
    await database.migrate("mig", both);
    await database.migrate("mig", both);
    expect(Object.fromEntries(runs)).toEqual({ a: 1, b: 1 });
    const db = database.forSchema<{ a: { id: number }; b: { id: number } }>("mig");
    await db.insertInto("b").values({ id: 1 }).execute();
    expect(await db.selectFrom("b").select("id").execute()).toEqual([{ id: 1 }]);

    // The history names a migration the code no longer has: still Kysely's error, as before.
    await expect(database.migrate("mig", { "0002_b": both["0002_b"] })).rejects.toThrow(/schema mig failed/);
  });

  it("creates the schema and its history on the first migration", async () => {
    const runs = new Map<string, number>();
    await database.migrate("fresh", { "0001_t": creating("t", runs) });
    const history = await sql<{ name: string }>`select name from fresh.kysely_migration`.execute(
      database.forSchema("fresh"),
    );
    expect(history.rows).toEqual([{ name: "0001_t" }]);
    expect(runs.get("t")).toBe(1);
  });
});

describe("openDatabase on an empty data directory (embedded PGlite)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "souk-database-test-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("starts each one as a copy of one template cluster, made once even by racing opens", async () => {
    const templateDir = join(root, "template");
    await mkdir(join(root, "a")); // an empty directory, as mkdtemp makes, is empty too
    const [a, b] = await Promise.all(
      ["a", "b"].map((name) => openDatabase({ dataDir: join(root, name), templateDir })),
    );
    // Both are working clusters with pg_trgm, and separate ones.
    await a!.migrate("shop", { "0001_t": creating("t", new Map()) });
    await a!.forSchema<{ t: { id: number } }>("shop").insertInto("t").values({ id: 7 }).execute();
    const similarity = await sql<{ s: number }>`select similarity('lamp', 'lamps') as s`.execute(
      b!.forSchema("public"),
    );
    expect(similarity.rows[0]!.s).toBeGreaterThan(0.5);
    const inB = await sql<{ t: string | null }>`select to_regclass('shop.t')::text as t`.execute(
      b!.forSchema("public"),
    );
    expect(inB.rows[0]!.t).toBeNull();
    await Promise.all([a!.close(), b!.close()]);

    // One template; the racers' build directories are gone.
    expect((await readdir(root)).sort()).toEqual(["a", "b", "template"]);
    expect(await readdir(templateDir)).toContain("PG_VERSION");

    // A later empty directory gets the template as it was (nothing of a's), and a reopened one keeps its data.
    const c = await openDatabase({ dataDir: join(root, "c"), templateDir });
    const inC = await sql<{ t: string | null }>`select to_regclass('shop.t')::text as t`.execute(c.forSchema("public"));
    expect(inC.rows[0]!.t).toBeNull();
    await c.close();
    const reopened = await openDatabase({ dataDir: join(root, "a"), templateDir });
    expect(await reopened.forSchema<{ t: { id: number } }>("shop").selectFrom("t").select("id").execute()).toEqual([
      { id: 7 },
    ]);
    await reopened.close();
  });
});
