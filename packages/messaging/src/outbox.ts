import { sql, type Generated, type Kysely, type Selectable, type Migration, type Transaction } from "kysely";
import { prepareQueries, prepareQuery, runAsBackgroundWork, standInsOf, type Logger } from "@souk/platform";
import type { EventEnvelope } from "./envelope.ts";

interface OutboxTable {
  seq: Generated<number>;
  id: string;
  destination: string;
  source: string;
  type: string;
  subject: string;
  time: Date;
  datacontenttype: string;
  dataschema: string | null;
  data: Uint8Array;
  traceparent: string | null;
  tracestate: string | null;
  created_at: Generated<Date>;
  sent_at: Date | null;
}

/** The outbox table as Kysely sees it (in the publishing service's own schema). */
export interface OutboxDatabase {
  outbox: OutboxTable;
}

/**
 * The migration creating `outbox` in a service's schema: add it to the service's migrations
 * under a name that sorts after the existing ones (e.g. `0100_outbox`).
 */
export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("outbox")
      .addColumn("seq", "bigserial", (c) => c.primaryKey())
      .addColumn("id", "text", (c) => c.notNull().unique())
      .addColumn("destination", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("time", "timestamptz", (c) => c.notNull())
      .addColumn("datacontenttype", "text", (c) => c.notNull())
      .addColumn("dataschema", "text")
      .addColumn("data", "bytea", (c) => c.notNull())
      .addColumn("traceparent", "text")
      .addColumn("tracestate", "text")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("sent_at", "timestamptz")
      .execute();
    await db.schema
      .createIndex("outbox_pending")
      .on("outbox")
      .column("seq")
      .where(sql.ref("sent_at"), "is", null)
      .execute();
  },
};

/** An event bound for a destination: a topic of the event log or a job queue. */
export interface OutboxMessage {
  readonly destination: string;
  readonly event: EventEnvelope;
}

/** A message's outbox row, as `appendRows` writes it. */
type OutboxRow = Omit<Selectable<OutboxTable>, "seq" | "created_at" | "sent_at">;

/** The outbox insert of `count` rows. */
const appendRows = prepareQueries((db: Kysely<OutboxDatabase>, p: { rows: readonly OutboxRow[] }, count: number) =>
  db.insertInto("outbox").values(
    standInsOf(p.rows, count).map((row) => ({
      id: row.id,
      destination: row.destination,
      source: row.source,
      type: row.type,
      subject: row.subject,
      time: row.time,
      datacontenttype: row.datacontenttype,
      dataschema: row.dataschema,
      data: row.data,
      traceparent: row.traceparent,
      tracestate: row.tracestate,
    })),
  ),
);

/** A relay's advisory lock: true when this transaction took it. */
const tryRelayLock = prepareQuery((db: Kysely<OutboxDatabase>, p: { key: string }) =>
  db.selectNoFrom(sql<boolean>`pg_try_advisory_xact_lock(hashtext(${p.key}))`.as("locked")),
);

/** Marks the oldest `limit` pending rows sent and reads them back (one statement; no order of its own). */
const takePending = prepareQuery((db: Kysely<OutboxDatabase>, p: { sentAt: Date; limit: number }) =>
  db
    .updateTable("outbox")
    .set({ sent_at: p.sentAt })
    .where("seq", "in", (eb) =>
      eb.selectFrom("outbox").select("seq").where("sent_at", "is", null).orderBy("seq").limit(p.limit),
    )
    .returningAll(),
);

/** Any pending row (the partial index `outbox_pending` answers it). */
const anyPending = prepareQuery((db: Kysely<OutboxDatabase>, _: Record<string, never>) =>
  db.selectFrom("outbox").select("seq").where("sent_at", "is", null).limit(1),
);

/**
 * Appends `messages` to the outbox inside the caller's transaction — the transactional outbox
 * pattern (Richardson, microservices.io "Transactional outbox"): the events commit or roll back
 * with the state change that caused them, and the relay publishes them afterwards.
 */
export async function appendToOutbox<DB>(
  trx: Transaction<DB> | Kysely<DB>,
  messages: readonly OutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map(({ destination, event }): OutboxRow => ({
    id: event.id,
    destination,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    dataschema: event.dataschema ?? null,
    data: event.data,
    traceparent: event.traceparent ?? null,
    tracestate: event.tracestate ?? null,
  }));
  await appendRows(rows.length).affected(trx as unknown as Kysely<OutboxDatabase>, { rows });
}

/** Options of `createOutboxRelay`. */
export interface OutboxRelayOptions {
  /** The publishing service's schema handle (Kysely `withSchema`). */
  readonly db: Kysely<unknown>;
  /** Names the relay in logs and its advisory lock, e.g. `orders`. */
  readonly name: string;
  /** Publishes a batch to one destination, in order; resolves once the broker confirmed it. */
  readonly publish: (destination: string, events: readonly EventEnvelope[]) => Promise<void>;
  readonly logger: Logger;
  /** Idle polling interval in ms (a `nudge()` wakes the relay at once). Default 250. */
  readonly pollIntervalMs?: number;
  /** Rows published per transaction. Default 200. */
  readonly batchSize?: number;
  /** Sent rows are deleted after this many ms. Default 1 hour. */
  readonly retentionMs?: number;
  /** Called after each published batch with the events' age in ms (now − time written). */
  readonly onPublished?: (destination: string, count: number) => void;
}

/** A running outbox relay. */
export interface OutboxRelay {
  start(): Promise<void>;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
  /** Asks for a pass now (call after committing outbox rows, to cut latency). */
  nudge(): void;
  /** Publishes until nothing is pending; resolves with the count published (tests, shutdown). */
  drain(): Promise<number>;
}

/**
 * The outbox relay: whenever rows are pending (a cheap indexed probe each poll, or a `nudge()`),
 * in one transaction, takes a transaction-level advisory lock
 * (so among several replicas exactly one relays at a time, and order is kept), marks the oldest
 * unsent rows sent and reads them back (one statement), publishes them per destination in `seq`
 * order, and commits — a pass is four statements with BEGIN and COMMIT. A crash between publish
 * and commit republishes the batch: delivery is at least once, made harmless by consumers'
 * inboxes (event ids are stable). Broker errors leave the rows pending; the relay backs off and
 * tries again.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const db = options.db as Kysely<OutboxDatabase>;
  const pollMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 200;
  const retentionMs = options.retentionMs ?? 3_600_000;
  const logger = options.logger.child({ relay: options.name });
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let nudged = false;
  let failures = 0;
  let lastPrune = 0;

  async function passOnce(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const lock = await tryRelayLock.first(trx, { key: `outbox:${options.name}` });
      if (lock?.locked !== true) return 0;
      // Marked sent and read in one statement: if publishing fails below, the transaction rolls
      // back and the rows stay pending. UPDATE … RETURNING has no order of its own: seq gives it.
      const rows = await takePending.rows(trx, { sentAt: new Date(), limit: batchSize });
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.seq) - Number(b.seq));
      // Consecutive runs per destination, so order across destinations is kept too.
      let start = 0;
      while (start < rows.length) {
        const destination = rows[start]!.destination;
        let end = start;
        while (end < rows.length && rows[end]!.destination === destination) end++;
        const events = rows.slice(start, end).map((r): EventEnvelope => ({
          id: r.id,
          source: r.source,
          type: r.type,
          subject: r.subject,
          time: r.time,
          datacontenttype: r.datacontenttype,
          dataschema: r.dataschema ?? undefined,
          data: r.data,
          traceparent: r.traceparent ?? undefined,
          tracestate: r.tracestate ?? undefined,
        }));
        await options.publish(destination, events);
        options.onPublished?.(destination, events.length);
        start = end;
      }
      return rows.length;
    });
  }

  /** One statement, no transaction (the partial index `outbox_pending` answers it): anything to relay? */
  async function hasPending(): Promise<boolean> {
    return (await anyPending.first(db, {})) !== undefined;
  }

  async function prune(): Promise<void> {
    const now = Date.now();
    if (now - lastPrune < 60_000) return;
    lastPrune = now;
    await db
      .deleteFrom("outbox")
      .where("sent_at", "<", new Date(now - retentionMs))
      .execute();
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function run(): Promise<void> {
    while (running) {
      let published = 0;
      try {
        // An idle poll costs one cheap read; a pass (transaction, lock, batch) runs only when
        // there is something to relay — or when a nudge says so.
        const wasNudged = nudged;
        nudged = false;
        published = wasNudged || (await hasPending()) ? await passOnce() : 0;
        await prune();
        if (failures > 0) logger.info({ afterFailures: failures }, "outbox relay recovered");
        failures = 0;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          logger.warn({ err: error, failures }, "outbox relay pass failed; will retry");
        }
      }
      if (!running) break;
      if (published >= batchSize || nudged) continue;
      await sleep(failures > 0 ? Math.min(5_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs);
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      // Nobody waits on a relay's statements: on the embedded database they give way to requests'.
      loop = runAsBackgroundWork(run);
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
    nudge() {
      nudged = true;
      wake?.();
    },
    async drain() {
      let total = 0;
      for (;;) {
        const published = await passOnce();
        total += published;
        if (published === 0) {
          if (!(await hasPending())) return total;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
  };
}
