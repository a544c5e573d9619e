import { setTimeout as pause } from "node:timers/promises";
import { sql, type Generated } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForegroundFirstLock, isBackgroundWork, runAsBackgroundWork } from "./background-work.ts";
import { openDatabase, type SqlDatabase } from "./database.ts";

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A lock on a hand-moved clock, and a log of who held it, in order. */
function lockOnFakeClock(backgroundHandicapMs = 100) {
  let now = 0;
  const lock = new ForegroundFirstLock({ backgroundHandicapMs, now: () => now });
  const order: string[] = [];
  /** Queues `name`; once it holds the lock, logs it and keeps the lock until `release` is called. */
  const queue = (name: string, background: boolean) => {
    const held = lock.acquire(background).then((release) => {
      order.push(name);
      return release;
    });
    return { release: async () => (await held)() };
  };
  return { lock, order, queue, advance: (ms: number) => (now += ms) };
}

describe("runAsBackgroundWork", () => {
  it("marks the work and everything it awaits or schedules, and nothing outside it", async () => {
    expect(isBackgroundWork()).toBe(false);
    const seen = await runAsBackgroundWork(async () => {
      const before = isBackgroundWork();
      await pause(1);
      const afterAwait = isBackgroundWork();
      const inTimer = await new Promise<boolean>((resolve) => setTimeout(() => resolve(isBackgroundWork()), 1));
      return [before, afterAwait, inTimer];
    });
    expect(seen).toEqual([true, true, true]);
    expect(isBackgroundWork()).toBe(false);
  });
});

describe("ForegroundFirstLock", () => {
  it("is held by one at a time, and each queue is first come, first served", async () => {
    const { order, queue } = lockOnFakeClock();
    const first = queue("first", false);
    const f1 = queue("f1", false);
    const f2 = queue("f2", false);
    await settle();
    expect(order).toEqual(["first"]);
    await first.release();
    await settle();
    expect(order).toEqual(["first", "f1"]);
    await f1.release();
    await f2.release();
    expect(order).toEqual(["first", "f1", "f2"]);
  });

  it("serves a request before a consumer that queued less than the handicap before it", async () => {
    const { order, queue, advance } = lockOnFakeClock(100);
    const holder = queue("holder", false);
    const background = queue("background", true);
    advance(99);
    const foreground = queue("foreground", false);
    await settle();
    await holder.release();
    await settle();
    expect(order).toEqual(["holder", "foreground"]);
    await foreground.release();
    await background.release();
    expect(order).toEqual(["holder", "foreground", "background"]);
  });

  it("serves a consumer that queued more than the handicap before a request first: it never starves", async () => {
    const { lock, order, queue, advance } = lockOnFakeClock(100);
    const holder = queue("holder", false);
    const early = queue("early request", false);
    const background = queue("background", true);
    advance(101);
    const late = queue("late request", false);
    await settle();
    await holder.release();
    await early.release();
    await settle();
    // The request that queued before it still goes first; the one more than 100 ms later, after.
    expect(order).toEqual(["holder", "early request", "background"]);
    await background.release();
    await late.release();
    expect(order).toEqual(["holder", "early request", "background", "late request"]);
    expect(lock.waiting).toEqual({ foreground: 0, background: 0 });
  });

  it("serves background waiters when no foreground one waits, in their order", async () => {
    const { order, queue } = lockOnFakeClock();
    const holder = queue("holder", false);
    const b1 = queue("b1", true);
    const b2 = queue("b2", true);
    await holder.release();
    await settle();
    expect(order).toEqual(["holder", "b1"]);
    await b1.release();
    await b2.release();
    expect(order).toEqual(["holder", "b1", "b2"]);
  });

  it("ignores a second release of the same hold", async () => {
    const { lock, order, queue } = lockOnFakeClock();
    const holder = queue("holder", false);
    const next = queue("next", false);
    const last = queue("last", false);
    await holder.release();
    await holder.release();
    await settle();
    expect(order).toEqual(["holder", "next"]);
    expect(lock.waiting.foreground).toBe(1);
    await next.release();
    await last.release();
  });

  it("picks the queue from runAsBackgroundWork when the caller does not say", async () => {
    const { lock, order, queue } = lockOnFakeClock();
    const holder = queue("holder", false);
    const background = runAsBackgroundWork(() => lock.acquire()).then((release) => {
      order.push("marked");
      return release;
    });
    const foreground = lock.acquire().then((release) => {
      order.push("unmarked");
      return release;
    });
    expect(lock.waiting).toEqual({ foreground: 1, background: 1 });
    await holder.release();
    await settle();
    expect(order).toEqual(["holder", "unmarked"]);
    (await foreground)();
    (await background)();
    expect(order).toEqual(["holder", "unmarked", "marked"]);
  });
});

describe("the embedded database's connection (PGlite)", () => {
  let database: SqlDatabase;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    await database.migrate("lockq", {
      "0001_log": {
        async up(db) {
          await db.schema.createTable("log").addColumn("seq", "serial").addColumn("who", "text").execute();
        },
      },
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it("runs a request's statement before a consumer's that queued first, and both run", async () => {
    const db = database.forSchema<{ log: { seq: Generated<number>; who: string } }>("lockq");
    const write = (who: string) => db.insertInto("log").values({ who }).execute();
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    // A request's transaction holds the one connection while the others queue.
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto("log").values({ who: "holder" }).execute();
      await holding;
    });
    await settle();
    const consumer = runAsBackgroundWork(() => write("consumer"));
    await settle();
    const request = write("request");
    await settle();
    // Well within the 100 ms a consumer gives way.
    release();
    await Promise.all([transaction, consumer, request]);
    const rows = await sql<{ who: string }>`select who from lockq.log order by seq`.execute(db);
    expect(rows.rows.map((row) => row.who)).toEqual(["holder", "request", "consumer"]);
  });
});
