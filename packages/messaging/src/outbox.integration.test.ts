import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { isBackgroundWork, newId, type SqlDatabase } from "@souk/platform";
import { openTestDatabase, openTestServerDatabase, testLogger, type TestSchemaDatabase } from "@souk/platform/testing";
import type { EventEnvelope } from "./envelope.ts";
import { appendToOutbox, createOutboxRelay, outboxMigration, type OutboxDatabase } from "./outbox.ts";

function event(subject: string, n: number): EventEnvelope {
  return {
    id: newId(),
    source: "/souk/test",
    type: "souk.test.happened.v1",
    subject,
    time: new Date(),
    datacontenttype: "application/protobuf",
    dataschema: "proto:souk.test.v1.Happened",
    data: new TextEncoder().encode(`${subject}#${n}`),
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  };
}

const decode = (e: EventEnvelope) => new TextDecoder().decode(e.data);

async function prepare(database: SqlDatabase, schema: string): Promise<Kysely<OutboxDatabase>> {
  await database.migrate(schema, { "0100_outbox": outboxMigration });
  return database.forSchema<OutboxDatabase>(schema);
}

describe("transactional outbox on PGlite", () => {
  let database: SqlDatabase;
  let db: Kysely<OutboxDatabase>;
  beforeAll(async () => {
    database = await openTestDatabase();
    db = await prepare(database, "outbox_test");
  });
  afterAll(() => database.close());

  it("publishes what committed, in order, with every attribute, and nothing a rolled-back transaction wrote", async () => {
    const written = [event("a", 1), event("b", 1), event("a", 2)];
    await db.transaction().execute((trx) => appendToOutbox(trx, [{ destination: "t1", event: written[0]! }]));
    await db
      .transaction()
      .execute(async (trx) => {
        await appendToOutbox(trx, [{ destination: "t1", event: event("z", 9) }]);
        throw new Error("business rule failed");
      })
      .catch(() => undefined);
    await appendToOutbox(db, [
      { destination: "t2", event: written[1]! },
      { destination: "t1", event: written[2]! },
    ]);
    const published: Array<{ destination: string; event: EventEnvelope }> = [];
    const relay = createOutboxRelay({
      db: db as never,
      name: "pglite",
      publish: async (destination, events) => {
        for (const e of events) published.push({ destination, event: e });
      },
      logger: testLogger(),
    });
    expect(await relay.drain()).toBe(3);
    expect(published.map((p) => [p.destination, decode(p.event)])).toEqual([
      ["t1", "a#1"],
      ["t2", "b#1"],
      ["t1", "a#2"],
    ]);
    expect(published[0]!.event).toEqual({ ...written[0], data: written[0]!.data });
    expect(await relay.drain()).toBe(0);
  });

  it("keeps rows pending while the broker fails, and publishes them once it is back, as background work", async () => {
    await appendToOutbox(db, [{ destination: "t", event: event("c", 1) }]);
    let brokerUp = false;
    const published: string[] = [];
    const marked: boolean[] = [];
    const relay = createOutboxRelay({
      db: db as never,
      name: "pglite-retry",
      pollIntervalMs: 10,
      publish: async (_destination, events) => {
        if (!brokerUp) throw new Error("broker down");
        published.push(...events.map(decode));
        marked.push(isBackgroundWork());
      },
      logger: testLogger(),
    });
    await relay.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(published).toEqual([]);
    brokerUp = true;
    relay.nudge();
    await expect.poll(() => published, { timeout: 5_000 }).toEqual(["c#1"]);
    // The relay's loop is marked: on the embedded database its statements give way to requests'.
    expect(marked).toEqual([true]);
    await relay.stop();
  });
});

describe("transactional outbox on a PostgreSQL server, three relay replicas", () => {
  let opened: TestSchemaDatabase;
  let db: Kysely<OutboxDatabase>;
  beforeAll(async () => {
    opened = await openTestServerDatabase("outbox", 8);
    db = await prepare(opened.database, opened.schema);
  });
  afterAll(() => opened.close());

  it("publishes every event at least once, in per-subject order, while replicas race and crash between publish and commit", async () => {
    const subjects = Array.from({ length: 10 }, (_, i) => `order-${i}`);
    const counters = new Map(subjects.map((s) => [s, 0]));
    const published: string[] = [];
    let calls = 0;
    const relays = [1, 2, 3].map((replica) =>
      createOutboxRelay({
        db: db as never,
        name: "replicas",
        pollIntervalMs: 5,
        batchSize: 7,
        publish: async (_destination, events) => {
          calls++;
          // Every 5th batch "crashes" after the broker took it: the rows stay pending and are republished.
          published.push(...events.map(decode));
          if (calls % 5 === 0) throw new Error(`replica ${replica} crashed before commit`);
        },
        logger: testLogger(),
      }),
    );
    for (const relay of relays) await relay.start();
    const writers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 50; i++) {
        const subject = subjects[(w * 7 + i) % subjects.length]!;
        await db.transaction().execute(async (trx) => {
          // The counter is taken inside the transaction under a row-free advisory lock per subject,
          // so each subject's events commit in their numbered order.
          await sql`select pg_advisory_xact_lock(hashtext(${subject}))`.execute(trx);
          const n = counters.get(subject)! + 1;
          counters.set(subject, n);
          await appendToOutbox(trx, [{ destination: "orders", event: event(subject, n) }]);
        });
        relays[i % 3]!.nudge();
      }
    });
    await Promise.all(writers);
    await expect
      .poll(
        async () =>
          Number(
            (
              await db
                .selectFrom("outbox")
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .where("sent_at", "is", null)
                .executeTakeFirstOrThrow()
            ).n,
          ),
        { timeout: 20_000, interval: 50 },
      )
      .toBe(0);
    for (const relay of relays) await relay.stop();

    const firstSeen: string[] = [];
    const seen = new Set<string>();
    for (const p of published) {
      if (!seen.has(p)) firstSeen.push(p);
      seen.add(p);
    }
    expect(seen.size).toBe(300);
    expect(published.length).toBeGreaterThan(300); // the simulated crashes really republished
    for (const subject of subjects) {
      const order = firstSeen.filter((p) => p.startsWith(`${subject}#`)).map((p) => Number(p.split("#")[1]));
      expect(order).toEqual(Array.from({ length: counters.get(subject)! }, (_, i) => i + 1));
    }
  });
});
