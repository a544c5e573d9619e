import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { afterEach, describe, expect, test } from "vitest";
import type { SqlDatabase } from "./database.ts";
import { capturedLogger, openTestDatabase, testLogger, waitFor } from "./testing.ts";
import { vacuumRotation } from "./vacuum.ts";

/** Runs each statement in turn (one statement per extended-protocol message). */
async function run(database: SqlDatabase, ...statements: string[]): Promise<void> {
  const db = database.forSchema<Record<string, never>>("public");
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** An outbox pruned the way Souk's is: rows go in, and all but the newest `keep` are deleted. */
async function churn(
  database: SqlDatabase,
  rounds: number,
  onRound: (round: number) => Promise<void>,
): Promise<number> {
  const db = database.forSchema<Record<string, never>>("churn");
  await sql`create schema churn`.execute(db);
  await sql`create table churn.outbox (id bigserial primary key, payload text not null)`.execute(db);
  for (let round = 1; round <= rounds; round++) {
    await sql`insert into churn.outbox (payload) select repeat('x', 400) from generate_series(1, 1000)`.execute(db);
    await sql`delete from churn.outbox where id <= (select max(id) from churn.outbox) - 2000`.execute(db);
    await onRound(round);
  }
  const { rows } = await sql<{ bytes: number }>`select pg_total_relation_size('churn.outbox') as bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

describe("the vacuum rotation (PGlite has no autovacuum)", () => {
  let database: SqlDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  test("keeps a churned table's size flat, where without it the table grows with every row ever written", async () => {
    database = await openTestDatabase();
    const unvacuumed = await churn(database, 20, async () => {});
    await database.close();

    database = await openTestDatabase();
    const rotation = vacuumRotation(database, 60_000, testLogger());
    const vacuumed = await churn(database, 20, async (round) => {
      if (round % 4 === 0) expect((await rotation.vacuumNext())?.table).toBe("churn.outbox");
    });
    // 20,000 rows of ~400 bytes were written and 2,000 are live (~1 MB): without VACUUM nothing
    // written was ever reused (~9.6 MB); with it the table stays within a few rounds of its live rows (~2.1 MB).
    expect(unvacuumed).toBeGreaterThan(8 * 1024 * 1024);
    expect(vacuumed).toBeLessThan(3.5 * 1024 * 1024);
  });

  test("visits every user table once a round, in order, and lists them again for the next round", async () => {
    database = await openTestDatabase();
    const rotation = vacuumRotation(database, 60_000, testLogger());
    expect(await rotation.vacuumNext()).toBeUndefined();
    await run(database, "create schema b", "create table b.y (id int)", "create schema a", "create table a.x (id int)");
    const names = async (count: number) => {
      const seen: string[] = [];
      for (let i = 0; i < count; i++) seen.push((await rotation.vacuumNext())!.table);
      return seen;
    };
    expect(await names(2)).toEqual(["a.x", "b.y"]);
    await run(database, 'create table a."Mixed Case" (id int)');
    expect(await names(3)).toEqual(['a."Mixed Case"', "a.x", "b.y"]);
  });

  test("runs on its own every interval, logs each round, and goes on past a table that is gone", async () => {
    database = await openTestDatabase();
    await run(database, "create schema a", "create table a.x (id int)", "create table a.y (id int)");
    const { logger, lines } = capturedLogger("debug");
    const rotation = vacuumRotation(database, 20, logger);
    await rotation.start();
    const rounds = () => lines.filter((line) => line["msg"] === "vacuumed every table once");
    await waitFor(() => rounds().length >= 1, { timeoutMs: 5_000, message: "a first round" });
    expect(rounds()[0]).toMatchObject({ tables: 2 });
    // A table dropped after the round's list was made fails its vacuum; the rotation logs it and goes on.
    await waitFor(() => lines.some((l) => l["table"] === "a.x"), {
      timeoutMs: 5_000,
      intervalMs: 5,
      message: "a vacuum of a.x",
    });
    await run(database, "drop table a.y");
    const before = rounds().length;
    await waitFor(() => rounds().length >= before + 2, { timeoutMs: 5_000, message: "two more rounds" });
    await rotation.stop();
    expect(rounds().length).toBeGreaterThanOrEqual(before + 2);
    expect(rounds().at(-1)).toMatchObject({ tables: 1 });
    const stopped = lines.length;
    await sleep(100);
    expect(lines.length).toBe(stopped);
  });
});
