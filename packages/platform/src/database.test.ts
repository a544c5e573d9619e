import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { setTimeout as pause } from "node:timers/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompiledQuery, sql, type Kysely, type Migration } from "kysely";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensurePgliteTemplate, openDatabase, type SqlDatabase } from "./database.ts";

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

describe("template clusters (embedded PGlite)", () => {
  let base: string;
  /** A new directory of this suite's own (each test's files, listed by some of them). */
  const directory = async (name: string) => {
    const path = join(base, name);
    await mkdir(path);
    return path;
  };
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "souk-template-clusters-test-"));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe("openDatabase on an empty data directory (embedded PGlite)", () => {
    it("starts each one as a copy of one template cluster, made once even by racing opens", async () => {
      const root = await directory("empty");
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
      const inC = await sql<{ t: string | null }>`select to_regclass('shop.t')::text as t`.execute(
        c.forSchema("public"),
      );
      expect(inC.rows[0]!.t).toBeNull();
      await c.close();
      const reopened = await openDatabase({ dataDir: join(root, "a"), templateDir });
      expect(await reopened.forSchema<{ t: { id: number } }>("shop").selectFrom("t").select("id").execute()).toEqual([
        { id: 7 },
      ]);
      await reopened.close();
    });
  });

  describe("openDatabase on memory:// (embedded PGlite)", () => {
    it("loads the template cluster from its tarball, made once beside it; each instance is its own", async () => {
      const root = await directory("memory");
      const templateDir = join(root, "template");
      const [a, b] = await Promise.all([
        openDatabase({ dataDir: "memory://", templateDir }),
        openDatabase({ dataDir: "memory://", templateDir }),
      ]);
      expect((await readdir(root)).sort()).toEqual(["template", "template.tar"]);
      await a.migrate("shop", { "0001_t": creating("t", new Map()) });
      const similarity = await sql<{ s: number }>`select similarity('lamp', 'lamps') as s`.execute(
        a.forSchema("public"),
      );
      expect(similarity.rows[0]!.s).toBeGreaterThan(0.5);
      const inB = await sql<{ t: string | null }>`select to_regclass('shop.t')::text as t`.execute(
        b.forSchema("public"),
      );
      expect(inB.rows[0]!.t).toBeNull();
      await Promise.all([a.close(), b.close()]);
      // The template itself was never opened (no postmaster.pid, no WAL written since initdb's).
      expect(await readdir(templateDir)).not.toContain("postmaster.pid");
    });
  });

  describe("ensurePgliteTemplate with a build of its own (embedded PGlite)", () => {
    it("builds once, keeps what the build wrote, and leaves nothing behind a failed build", async () => {
      const root = await directory("build");
      const template = join(root, "seeded");
      let builds = 0;
      const build = async (dataDir: string) => {
        builds++;
        const database = await openDatabase({ dataDir, templateDir: join(root, "base") });
        await database.migrate("shop", { "0001_t": creating("t", new Map()) });
        await database.forSchema<{ t: { id: number } }>("shop").insertInto("t").values({ id: 42 }).execute();
        await database.close();
      };
      expect(await ensurePgliteTemplate(template, build)).toBe(template);
      expect(await ensurePgliteTemplate(template, build)).toBe(template);
      expect(builds).toBe(1);
      // A data directory copied from it opens with the build's schema and row.
      const copy = await openDatabase({ dataDir: join(root, "copy"), templateDir: template });
      expect(await copy.forSchema<{ t: { id: number } }>("shop").selectFrom("t").select("id").execute()).toEqual([
        { id: 42 },
      ]);
      await copy.close();

      // A build that fails: its error comes through, no template and no build directory remain,
      // and the next call builds afresh.
      const failing = join(root, "failing");
      const broken = async (dataDir: string) => {
        await mkdir(dataDir);
        throw new Error("migration 0002 failed");
      };
      await expect(ensurePgliteTemplate(failing, broken)).rejects.toThrow("migration 0002 failed");
      expect((await readdir(root)).filter((name) => name.startsWith("failing"))).toEqual([]);
      await ensurePgliteTemplate(failing, build);
      expect(builds).toBe(2);
      expect(await readdir(failing)).toContain("PG_VERSION");
    });

    it("shares one build among the callers of one process", async () => {
      const root = await directory("shared");
      const template = join(root, "template");
      const buildDirs: string[] = [];
      const build = async (dataDir: string) => {
        buildDirs.push(dataDir);
        await mkdir(dataDir);
        await pause(50); // long enough for every caller to arrive while it builds
        await writeFile(join(dataDir, "PG_VERSION"), "18\n");
      };
      const built = await Promise.all([1, 2, 3].map(() => ensurePgliteTemplate(template, build)));
      expect(built).toEqual([template, template, template]);
      expect(buildDirs).toHaveLength(1);
      expect(await readdir(root)).toEqual(["template"]);
      // A failed build is not kept: the next caller builds again.
      const failing = join(root, "failing");
      await expect(
        ensurePgliteTemplate(failing, async () => {
          throw new Error("no disk");
        }),
      ).rejects.toThrow("no disk");
      expect(await ensurePgliteTemplate(failing, build)).toBe(failing);
      expect(buildDirs).toHaveLength(2);
    });
  });
});

describe("the PGlite driver's statements (one round trip, named prepared statements)", () => {
  let database: SqlDatabase;
  let db: Kysely<Record<string, never>>;
  const prepared = async () =>
    (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db))
      .rows;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    db = database.forSchema("public");
    await sql`create table kinds (id int8 primary key, label text, tags text[], doc jsonb, at timestamptz, ok boolean, bytes bytea)`.execute(
      db,
    );
  });
  afterAll(async () => {
    await database.close();
  });

  it("sends parameters as node-postgres does and reads every column type back", async () => {
    const at = new Date("2026-11-26T01:02:03.456Z");
    const row = {
      id: 9_007_199_254_740_991,
      label: 'it\'s \\ a "label"',
      tags: ["a", "b,c", 'd"e', null],
      doc: { nested: [1, "two", { three: true }] },
      at,
      ok: false,
      bytes: Buffer.from([0, 1, 254, 255]),
    };
    await sql`insert into kinds values (${row.id}, ${row.label}, ${row.tags}, ${row.doc}, ${row.at}, ${row.ok}, ${row.bytes})`.execute(
      db,
    );
    const read = await sql<typeof row>`select * from kinds where id = ${row.id}`.execute(db);
    expect(read.rows).toEqual([{ ...row, bytes: new Uint8Array([0, 1, 254, 255]) }]);
    const none = await sql`select * from kinds where label = ${null}`.execute(db);
    expect(none.rows).toEqual([]);
    const updated = await sql`update kinds set ok = ${true} where id = ${row.id}`.execute(db);
    expect(updated.numAffectedRows).toBe(1n);
  });

  it("prepares a statement once and reuses it; other statements stay unnamed", async () => {
    const text = "select label from kinds where id = $1";
    for (let i = 0; i < 3; i++) await db.executeQuery(CompiledQuery.raw(text, [1]));
    expect((await prepared()).filter((p) => p.statement === text)).toHaveLength(1);
    await sql`vacuum kinds`.execute(db); // a utility statement: never prepared
    expect((await prepared()).some((p) => /vacuum/i.test(p.statement))).toBe(false);
  });

  it("recovers from a failing first use, a failing transaction and a stale plan", async () => {
    // A statement that fails when first used fails the same way again (no half-registered name).
    for (let i = 0; i < 2; i++) {
      await expect(sql`select * from missing_table where id = ${i}`.execute(db)).rejects.toThrow(/missing_table/);
    }
    // A constraint violation inside a transaction rolls it back; the connection is usable after.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into kinds (id) values (${1})`.execute(trx);
        await sql`insert into kinds (id) values (${1})`.execute(trx);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect((await sql`select id from kinds where id = ${1}`.execute(db)).rows).toEqual([]);
    // A first use failing inside a transaction: its Close rides with the ROLLBACK, in the aborted block.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into kinds (id) values (${2})`.execute(trx);
        await sql`select * from missing_in_transaction where id = ${2}`.execute(trx);
      }),
    ).rejects.toThrow(/missing_in_transaction/);
    await db.transaction().execute(async (trx) => {
      await sql`insert into kinds (id) values (${3})`.execute(trx);
    });
    expect((await sql<{ id: number }>`select id from kinds where id in (${2}, ${3})`.execute(db)).rows).toEqual([
      { id: 3 },
    ]);

    // `select *` prepared before the table gained a column: Postgres refuses the old plan once
    // (0A000), the statement is prepared afresh, and the next run sees the new column.
    await sql`create table shape (a int)`.execute(db);
    await sql`insert into shape values (${1})`.execute(db);
    const star = () => sql<Record<string, number>>`select * from shape where a = ${1}`.execute(db);
    expect((await star()).rows).toEqual([{ a: 1 }]);
    await sql`alter table shape add column b int default 2`.execute(db);
    const after = await star().catch((error: unknown) => error);
    if (after instanceof Error) expect((after as Error & { code?: string }).code).toBe("0A000");
    expect((await star()).rows).toEqual([{ a: 1, b: 2 }]);
  });

  it("sends a transaction's BEGIN with its first statement; a transaction without statements makes no round trip", async () => {
    const trips = vi.spyOn(PGlite.prototype, "execProtocol");
    try {
      // Three statements: BEGIN + the first, the second, the third, COMMIT: four round trips, not five.
      const times = await db.transaction().execute(async (trx) => {
        const first = await sql<{ t: Date }>`select now() as t`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await sql`insert into kinds (id, label) values (${40}, ${"in a transaction"})`.execute(trx);
        const second = await sql<{ t: Date }>`select now() as t`.execute(trx);
        return [first.rows[0]!.t, second.rows[0]!.t];
      });
      expect(trips).toHaveBeenCalledTimes(4);
      // One transaction: now() is its start time, the same for each statement in it.
      expect(times[1]).toEqual(times[0]);
      trips.mockClear();
      await db.transaction().execute(async () => undefined);
      expect(trips).not.toHaveBeenCalled();
    } finally {
      trips.mockRestore();
    }
    // A transaction whose first statement fails ends (ROLLBACK) and leaves nothing behind.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into kinds (id) values (${40})`.execute(trx);
      }),
    ).rejects.toThrow(/duplicate key/);
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into kinds (id) values (${41})`.execute(trx);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const rows = await sql<{ id: number }>`select id from kinds where id in (${40}, ${41}) order by id`.execute(db);
    expect(rows.rows).toEqual([{ id: 40 }]);
    // And outside a transaction, each statement is its own: now() moves on.
    const a = await sql<{ t: Date }>`select now() as t`.execute(db);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const b = await sql<{ t: Date }>`select now() as t`.execute(db);
    expect(b.rows[0]!.t.getTime()).toBeGreaterThan(a.rows[0]!.t.getTime());
  });

  it("asks for a prepared statement's row description on its first run only, and reads the same rows after", async () => {
    /** Frontend message types (the first byte of each message) of every round trip made since `trips` began. */
    const sentTypes = (trips: { mock: { calls: unknown[][] } }) =>
      trips.mock.calls.map(([bytes]) => {
        const message = bytes as Uint8Array;
        const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
        const types: string[] = [];
        for (let at = 0; at < message.byteLength; at += 1 + view.getInt32(at + 1)) {
          types.push(String.fromCharCode(message[at]!));
        }
        return types.join("");
      });
    await sql`insert into kinds (id, label, tags, at, ok) values (${70}, ${"seventy"}, ${["x"]}, ${new Date(0)}, ${true})`.execute(
      db,
    );
    const trips = vi.spyOn(PGlite.prototype, "execProtocol");
    try {
      const read = (id: number, executor: Kysely<Record<string, never>> = db) =>
        sql<{
          id: number;
          label: string;
          tags: string[];
          at: Date;
          ok: boolean;
          how: string;
        }>`select id, label, tags, at, ok, 'described' as how from kinds where id = ${id}`.execute(executor);
      const expected = [{ id: 70, label: "seventy", tags: ["x"], at: new Date(0), ok: true, how: "described" }];
      expect((await read(70)).rows).toEqual(expected);
      expect((await read(70)).rows).toEqual(expected);
      expect((await read(71)).rows).toEqual([]);
      // Inside a transaction the statement's messages come after BEGIN's: the rows are still its.
      const inTransaction = await db.transaction().execute(async (trx) => {
        const first = await read(70, trx);
        const count = await sql<{ n: number }>`select count(*)::int as n from kinds where id = ${70}`.execute(trx);
        return [first.rows, count.rows];
      });
      expect(inTransaction).toEqual([expected, [{ n: 1 }]]);
      // A statement without rows: described once (NoData), then no rows and its affected count.
      const touched = [];
      for (const label of ["seventy-one", "seventy-two"]) {
        touched.push(await sql`update kinds set label = ${label} where id = ${70}`.execute(db));
      }
      expect(touched.map((result) => [result.rows, result.numAffectedRows])).toEqual([
        [[], 1n],
        [[], 1n],
      ]);
      // Parse (P) and Describe (D) on a prepared statement's first run only; Bind, Execute and Sync
      // on every run; BEGIN as a Query (Q) in front; COMMIT is not prepared (P and D each time).
      expect(sentTypes(trips)).toEqual(["PBDES", "BES", "BES", "QBES", "PBDES", "PBDES", "PBDES", "BES"]);
    } finally {
      trips.mockRestore();
    }
  });

  it("keeps at most 500 prepared statements, closing the least recently used", async () => {
    const hot = "select 'hot' as k, id from kinds where id = $1";
    for (let i = 0; i < 520; i++) {
      await sql`select ${sql.lit(i)}::int as n from kinds where id = ${i}`.execute(db);
      if (i % 100 === 0) await db.executeQuery(CompiledQuery.raw(hot, [i]));
    }
    // Evictions are closed on the next round trip: read twice, so the count is settled.
    await prepared();
    const statements = await prepared();
    expect(statements.length).toBeLessThanOrEqual(500);
    expect(statements.length).toBeGreaterThan(450);
    expect(statements.some((p) => p.statement === hot)).toBe(true);
  });
});
