import { sql, type Kysely, type Migration, type Transaction } from "kysely";

interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: Date;
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
  const db = trx as unknown as Kysely<InboxDatabase>;
  const row = await db
    .insertInto("inbox")
    .values({ consumer, event_id: eventId } as never)
    .onConflict((oc) => oc.columns(["consumer", "event_id"]).doNothing())
    .returning("event_id")
    .executeTakeFirst();
  return row !== undefined;
}
