import { sql, type Generated, type Kysely, type Migration, type Transaction } from "kysely";
import { prepareQueries, standInsOf } from "@souk/platform";

interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: Generated<Date>;
}

/** The inbox table as Kysely sees it (in the consuming service's own schema). */
export interface InboxDatabase {
  inbox: InboxTable;
}

/** The migration creating `inbox` in a service's schema (name it to sort after the existing ones). */
export const inboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("inbox")
      .addColumn("consumer", "text", (c) => c.notNull())
      .addColumn("event_id", "text", (c) => c.notNull())
      .addColumn("processed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint("inbox_pk", ["consumer", "event_id"])
      .execute();
  },
};

/** The inbox claim of `count` events: resolves the ids it inserted. */
const claimRows = prepareQueries(
  (db: Kysely<InboxDatabase>, p: { consumer: string; eventIds: readonly string[] }, count: number) =>
    db
      .insertInto("inbox")
      .values(standInsOf(p.eventIds, count).map((eventId) => ({ consumer: p.consumer, event_id: eventId })))
      .onConflict((oc) => oc.columns(["consumer", "event_id"]).doNothing())
      .returning("event_id"),
);

/**
 * Records that `consumer` processed event `eventId`, inside the transaction that applies the
 * event's effect — the inbox (idempotent consumer) pattern: resolves true the first time, false
 * when the event was already processed (a redelivery), in which case the caller applies nothing.
 * Concurrent duplicates serialise on the primary key; the loser waits, then sees false.
 */
export async function claimInboxEvent<DB>(
  trx: Transaction<DB> | Kysely<DB>,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  return (await claimInboxEvents(trx, consumer, [eventId])).has(eventId);
}

/**
 * `claimInboxEvent` for a batch, in one statement: records that `consumer` processed each of
 * `eventIds` and resolves the ids claimed now — those the inbox did not hold yet. An id given
 * twice is claimed (at most) once; the caller applies it once. Resolves an empty set for no ids.
 * The rows go in sorted order, so two batches redelivering some of the same ids wait on each
 * other's claims in one order and cannot deadlock.
 */
export async function claimInboxEvents<DB>(
  trx: Transaction<DB> | Kysely<DB>,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  const unique = [...new Set(eventIds)].sort();
  if (unique.length === 0) return new Set();
  const db = trx as unknown as Kysely<InboxDatabase>;
  const rows = await claimRows(unique.length).rows(db, { consumer, eventIds: unique });
  return new Set(rows.map((row) => row.event_id));
}
