import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import type { SqlDatabase } from "@souk/platform";
import { openTestDatabase } from "@souk/platform/testing";
import type { AnalyticsStore } from "../domain/ports.ts";
import { toAnalyticsEvent } from "../events/analytics.events.ts";
import { createAnalyticsStore, type AnalyticsDatabase } from "../store/analytics.store.ts";
import { analyticsMigrations } from "../store/migrations.ts";
import { orderStream, seededRandom, shuffled, type StreamEvent } from "../testing/order-stream.ts";
import { recordEvent, type IncomingEvent } from "./record-event.usecase.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
const GROUP = "analytics";

function incoming({ event }: StreamEvent, group = GROUP): IncomingEvent {
  const body = toAnalyticsEvent(event);
  if (body === undefined) throw new Error(`not an analytics event: ${event.type}`);
  return { id: event.id, type: event.type, time: event.time, group, body };
}

/** A store on its own schema of one PGlite, its consumer generation started at 09:00 (the stream is live). */
async function freshStore(database: SqlDatabase, schema: string) {
  await database.migrate(schema, analyticsMigrations);
  const db = database.forSchema<AnalyticsDatabase>(schema);
  const store = createAnalyticsStore(db, GROUP);
  await store.ensureConsumerState(GROUP, at("09:00:00"));
  return { db, store };
}

async function aggregates(store: AnalyticsStore) {
  return {
    totals: await store.totals({ from: undefined, to: at("23:00:00") }),
    top: await store.topProducts({ limit: 10, currency: undefined, rankBy: "units" }),
    reasons: await store.cancellationReasons(),
    processed: await store.eventsProcessed(),
  };
}

/** When each event's inbox claim was made: the `now()` of the transaction that recorded it. */
async function claimTimes(db: Kysely<AnalyticsDatabase>, ids: readonly string[]) {
  const rows = await db.selectFrom("inbox").select(["event_id", "processed_at"]).where("event_id", "in", ids).execute();
  return new Map(rows.map((row) => [row.event_id, row.processed_at.getTime()]));
}

describe("recordEvent (group commit over PGlite)", () => {
  let database: SqlDatabase;
  const clock = () => at("10:30:00");

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("records a turn's events in one transaction, with the aggregates of one event at a time", async () => {
    const stream = orderStream();
    const events = stream.map((e) => incoming(e));
    const oneByOne = await freshStore(database, "analytics_single");
    const record1 = recordEvent(oneByOne.store, clock);
    for (const event of events) expect(await record1(event)).toMatchObject({ status: "applied" });

    // The same stream in one turn, shuffled, with redeliveries: one batch, in load order.
    const batched = await freshStore(database, "analytics_batched");
    const record = recordEvent(batched.store, clock);
    const load = shuffled([...events, events[0]!, events[5]!], seededRandom(7));
    const outcomes = await Promise.all(load.map((event) => record(event)));
    expect(outcomes.filter((o) => o.status === "duplicate")).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === "applied")).toHaveLength(events.length);
    const live = outcomes.find((o) => o.status === "applied");
    expect(live).toEqual({ status: "applied", lagSeconds: expect.any(Number) as number });

    const ids = events.map((e) => e.id);
    expect(new Set((await claimTimes(batched.db, ids)).values()).size).toBe(1);
    expect(new Set((await claimTimes(oneByOne.db, ids)).values()).size).toBe(events.length);
    expect(await aggregates(batched.store)).toEqual(await aggregates(oneByOne.store));
    expect((await aggregates(batched.store)).processed).toBe(events.length);

    // Delivered again, all at once: nothing moves.
    const again = await Promise.all(events.map((event) => record(event)));
    expect(again.every((o) => o.status === "duplicate")).toBe(true);
    expect(await aggregates(batched.store)).toEqual(await aggregates(oneByOne.store));
  });

  it("fails only the event that cannot be written, and answers stale for an abandoned group", async () => {
    const { db, store } = await freshStore(database, "analytics_isolated");
    const record = recordEvent(store, clock);
    const [placed, authorized, captured] = orderStream()
      .filter((e) => e.event.subject === "o1")
      .map((e) => incoming(e));
    const bad = incoming(orderStream().find((e) => e.event.subject === "o2")!);
    if (bad.body.kind !== "order" || bad.body.order.kind !== "placed") throw new Error("expected o2 placed");
    // jsonb refuses the NUL character: saving this order's fact fails, and with it the shared transaction.
    const poisoned: IncomingEvent = {
      ...bad,
      body: {
        kind: "order",
        order: { ...bad.body.order, lines: bad.body.order.lines.map((l) => ({ ...l, name: "nul \u0000" })) },
      },
    };
    const stale = { ...captured!, group: "analytics-old" };
    const settled = await Promise.allSettled([record(placed!), record(poisoned), record(authorized!), record(stale)]);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value.status : "rejected"))).toEqual([
      "applied",
      "rejected",
      "applied",
      "stale",
    ]);
    expect((settled[3] as PromiseFulfilledResult<unknown>).value).toEqual({ status: "stale", consumerGroup: GROUP });
    const claims = await claimTimes(db, [placed!.id, poisoned.id, authorized!.id, captured!.id]);
    expect([...claims.keys()].sort()).toEqual([placed!.id, authorized!.id].sort());
    const facts = await db.selectFrom("order_facts").select("order_id").execute();
    expect(facts.map((f) => f.order_id)).toEqual(["o1"]);
    const totals = await store.totals({ from: undefined, to: at("23:00:00") });
    expect(totals).toMatchObject([{ currency: "EUR", ordersPlaced: 1 }]);
  });
});
