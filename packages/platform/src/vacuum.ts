import { sql } from "kysely";
import type { SqlDatabase } from "./database.ts";
import { every, type Lifecycle } from "./lifecycle.ts";
import type { Logger } from "./log.ts";

/**
 * Autovacuum's work for a database that has no autovacuum: PGlite runs PostgreSQL in
 * single-user mode, with no background workers and no table statistics (`n_dead_tup` stays 0),
 * so nothing ever vacuums it. A row deleted or updated leaves a dead tuple whose space only
 * VACUUM records in the free space map: a table that takes inserts and deletes — an outbox
 * pruned after its retention, an inbox, cart lines — then grows for ever. Measured on PGlite
 * with 2,000 rows of ~400 bytes inserted per round and all but the newest 4,000 deleted: 28 MB
 * after 30 rounds and still growing, against 6.8 MB, flat, with a VACUUM every 5 rounds.
 *
 * The rotation vacuums one table at a time (plain `VACUUM`: the free space map and the
 * visibility map, so later rounds skip pages that did not change), the next each `intervalMs`,
 * so each table comes round every `tables × intervalMs`, and a vacuum — which holds PGlite's one
 * connection, and on the embedded store its thread — is never longer than one table's. On the
 * embedded store (56 tables): a round 123–186 ms in all, the longest table 16.8 ms (the 5,000
 * demo products, first round), ≤ 10 ms after. `VACUUM (ANALYZE)` cost 62–66 ms for the products
 * alone and is left out: catalog analyzes its products when it seeds them. Tables are listed from
 * `pg_tables` at the start of each round.
 */
export interface VacuumRotation extends Lifecycle {
  /**
   * Vacuums the next table of the rotation now. Resolves to its `schema.table` and the time it
   * took, or undefined when the database has no tables; throws what VACUUM throws.
   */
  vacuumNext(): Promise<{ table: string; ms: number } | undefined>;
}

/**
 * Creates the rotation over every user table of `database` (outside `pg_catalog` and
 * `information_schema`). `start()` vacuums the next table every `intervalMs` (the first one
 * interval after the start), logging each at debug and each round's total at info; a failed
 * vacuum is logged and the rotation goes on. `stop()` waits for a vacuum in progress.
 */
export function vacuumRotation(database: SqlDatabase, intervalMs: number, logger: Logger): VacuumRotation {
  const db = database.forSchema<Record<string, never>>("public");
  let pending: string[] = [];
  const newRound = () => ({ tables: 0, ms: 0, longest: { table: "", ms: 0 } });
  let round = newRound();

  async function refill(): Promise<void> {
    const { rows } = await sql<{ name: string }>`
      select quote_ident(schemaname) || '.' || quote_ident(tablename) as name from pg_tables
      where schemaname not in ('pg_catalog', 'information_schema') order by schemaname, tablename`.execute(db);
    pending = rows.map((row) => row.name);
  }

  async function vacuumNext(): Promise<{ table: string; ms: number } | undefined> {
    if (pending.length === 0) await refill();
    const table = pending.shift();
    if (table === undefined) return undefined;
    const started = performance.now();
    await sql`vacuum ${sql.raw(table)}`.execute(db);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    return { table, ms };
  }

  const timer = every(
    intervalMs,
    async () => {
      const done = await vacuumNext().catch((error: unknown) => {
        logger.warn({ err: error }, "vacuum failed; the rotation goes on");
        return undefined;
      });
      if (done === undefined) return;
      logger.debug(done, "vacuumed");
      round.tables += 1;
      round.ms += done.ms;
      if (done.ms > round.longest.ms) round.longest = done;
      if (pending.length === 0) {
        logger.info(
          { tables: round.tables, ms: Math.round(round.ms), longest: round.longest },
          "vacuumed every table once",
        );
        round = newRound();
      }
    },
    logger,
    "vacuum",
  );
  // The first table waits an interval too: not during the start, when requests begin to come.
  let first: NodeJS.Timeout | undefined;
  return {
    vacuumNext,
    async start() {
      first ??= setTimeout(() => void timer.start(), intervalMs);
    },
    async stop() {
      clearTimeout(first);
      await timer.stop();
    },
  };
}
