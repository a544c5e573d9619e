import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { newId, type SqlDatabase } from "@souk/platform";
import { openTestDatabase } from "@souk/platform/testing";
import { planDeliveries } from "../domain/delivery.ts";
import type { NotificationEvent } from "../domain/notification-event.ts";
import type { NotificationStore } from "../domain/ports.ts";
import { deliveryJobEncoder, JOB_TYPES, QUEUES } from "../events/delivery-jobs.ts";
import { orderEvent } from "../testing/order-event.ts";
import { notificationsMigrations } from "./migrations.ts";
import { createNotificationStore } from "./notification.store.ts";
import type { NotificationsDatabase } from "./notifications.tables.ts";

const SCHEMA = "notifications";
const t0 = new Date("2026-01-01T10:00:00Z");
const later = (ms: number) => new Date(t0.getTime() + ms);
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function confirmed(orderId: string): NotificationEvent {
  return orderEvent("confirmed", orderId, { total: { amount: 1999, currency: "USD" }, occurredAt: t0 });
}

describe("notification store on PostgreSQL (PGlite)", () => {
  let database: SqlDatabase;
  let db: Kysely<NotificationsDatabase>;
  let store: NotificationStore;
  const accept = (event: NotificationEvent) =>
    store
      .acceptEvents(
        [{ event, plan: (endpoints) => planDeliveries(event, endpoints, newId), trace: { traceparent: TRACEPARENT } }],
        t0,
      )
      .then(([deliveries]) => deliveries);

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.migrate(SCHEMA, notificationsMigrations);
    db = database.forSchema<NotificationsDatabase>(SCHEMA);
    store = createNotificationStore(
      db,
      deliveryJobEncoder(newId, () => t0),
    );
  });
  afterAll(async () => {
    await database.close();
  });

  it("accepts an event once: deliveries and their jobs in one transaction, redelivery a no-op", async () => {
    const hook = await store.createEndpoint({
      id: newId(),
      url: "http://127.0.0.1:1/hook",
      secret: "whsec_a",
      eventTypes: ["order.confirmed"],
      createdAt: t0,
    });
    expect(hook).toMatchObject({ eventTypes: ["order.confirmed"], active: true });
    const event = confirmed("order-a");
    const deliveries = await accept(event);
    expect(deliveries?.map((d) => [d.channel, d.endpointId, d.status, d.attempts])).toEqual([
      ["email", null, "pending", 0],
      ["webhook", hook.id, "pending", 0],
    ]);
    expect(await accept(event)).toBeUndefined();
    expect(await store.listDeliveries("order-a")).toHaveLength(2);

    const outbox = await db.selectFrom("outbox").selectAll().orderBy("seq").execute();
    expect(outbox.map((row) => [row.destination, row.type, row.subject, row.traceparent])).toEqual([
      [QUEUES.email, JOB_TYPES.email, deliveries?.[0]?.id, TRACEPARENT],
      [QUEUES.webhook, JOB_TYPES.webhook, deliveries?.[1]?.id, TRACEPARENT],
    ]);
  });

  it("leases a delivery to one attempt at a time; sent deliveries are done", async () => {
    const [email] = (await accept(confirmed("order-b"))) ?? [];
    if (email === undefined) throw new Error("no delivery");
    const first = await store.claimDelivery(email.id, t0, later(10_000));
    expect(first).toMatchObject({ outcome: "claimed", delivery: { attempts: 1 }, event: { orderId: "order-b" } });
    expect(await store.claimDelivery(email.id, later(1_000), later(11_000))).toEqual({
      outcome: "busy",
      leasedUntil: later(10_000),
    });
    // A worker that died: its lease runs out and another takes over.
    expect(await store.claimDelivery(email.id, later(10_000), later(20_000))).toMatchObject({
      outcome: "claimed",
      delivery: { attempts: 2 },
    });
    await store.recordFailure(email.id, "x".repeat(5_000));
    expect((await store.listDeliveries("order-b"))[0]?.lastError).toHaveLength(1000);
    await store.markSent(email.id, later(12_000));
    const done = await store.claimDelivery(email.id, later(13_000), later(23_000));
    expect(done).toMatchObject({ outcome: "done", delivery: { status: "sent", attempts: 2, lastError: null } });
    expect(await store.claimDelivery("no-such-delivery", t0, t0)).toEqual({ outcome: "missing" });
  });

  it("records a dead letter once per job, marks its delivery dead, and replays it once", async () => {
    const [email] = (await accept(confirmed("order-c"))) ?? [];
    if (email === undefined) throw new Error("no delivery");
    const dead = {
      id: newId(),
      jobId: "job-c",
      deliveryId: email.id,
      queue: QUEUES.email,
      reason: "max_attempts: smtp down",
      attempts: 5,
      failedAt: later(1),
    };
    expect(await store.recordDeadLetter(dead)).toBe(true);
    expect(await store.recordDeadLetter({ ...dead, id: newId() })).toBe(false);
    expect((await store.listDeliveries("order-c"))[0]?.status).toBe("dead");
    // A job naming a delivery this store never had is kept, unlinked.
    expect(await store.recordDeadLetter({ ...dead, id: newId(), jobId: "job-x", deliveryId: "forged" })).toBe(true);

    const [newest, oldest] = await store.listDeadLetters(10, undefined);
    expect(newest).toMatchObject({ jobId: "job-x", deliveryId: null, delivery: undefined });
    expect(oldest).toMatchObject({ id: dead.id, delivery: { id: email.id, status: "dead" } });
    expect(await store.listDeadLetters(10, newest?.id)).toHaveLength(1);

    const outboxBefore = await db.selectFrom("outbox").select("id").execute();
    const refuseNothing = () => undefined;
    const replayed = await store.replayDeadLetter(dead.id, later(2), refuseNothing, {});
    expect(replayed).toMatchObject({
      outcome: "replayed",
      deadLetter: { replayedAt: later(2), delivery: { status: "pending" } },
    });
    const outboxAfter = await db.selectFrom("outbox").selectAll().orderBy("seq").execute();
    expect(outboxAfter).toHaveLength(outboxBefore.length + 1);
    expect(outboxAfter.at(-1)).toMatchObject({ destination: QUEUES.email, subject: email.id, traceparent: null });

    const refusal = new Error("refused");
    expect(await store.replayDeadLetter(dead.id, later(3), () => refusal, {})).toEqual({
      outcome: "refused",
      error: refusal,
    });
    expect(await store.replayDeadLetter("missing", later(3), refuseNothing, {})).toEqual({ outcome: "missing" });
  });

  it("lists endpoints newest first and deactivates them idempotently", async () => {
    const made = await store.createEndpoint({
      id: newId(),
      url: "https://example.com/x",
      secret: "whsec_b",
      eventTypes: ["*"],
      createdAt: later(5),
    });
    expect((await store.listEndpoints())[0]?.id).toBe(made.id);
    expect(await store.deactivateEndpoint(made.id, later(6))).toMatchObject({ active: false });
    expect(await store.deactivateEndpoint(made.id, later(7))).toMatchObject({ active: false });
    const row = await db
      .selectFrom("webhook_endpoints")
      .select("deactivated_at")
      .where("id", "=", made.id)
      .executeTakeFirst();
    expect(row?.deactivated_at).toEqual(later(6));
    expect(await store.deactivateEndpoint("missing", later(8))).toBeUndefined();
    // A deactivated endpoint gets no new deliveries.
    const deliveries = await accept(confirmed("order-d"));
    expect(deliveries?.filter((d) => d.endpointId === made.id)).toEqual([]);
  });

  it("requeues pending deliveries idle since before a cut-off (their job was lost), once", async () => {
    const deliveries = (await accept(confirmed("order-e"))) ?? [];
    const [email, webhook] = deliveries;
    if (email === undefined || webhook === undefined) throw new Error("no deliveries");
    await store.claimDelivery(email.id, later(1_000), later(600_000)); // in flight: leased
    const jobsOf = async (deliveryId: string) =>
      (await db.selectFrom("outbox").select("destination").where("subject", "=", deliveryId).execute()).map(
        (row) => row.destination,
      );
    // Accepted at t0: not idle since before t0.
    await store.requeueStalled(later(60_000), t0, 100, {});
    expect(await jobsOf(webhook.id)).toEqual([QUEUES.webhook]);
    // Idle since before t0 + 30 s: the webhook is stalled; the leased email is being attempted, left alone.
    expect(await store.requeueStalled(later(60_000), later(30_000), 100, {})).toBeGreaterThanOrEqual(1);
    expect(await jobsOf(webhook.id)).toEqual([QUEUES.webhook, QUEUES.webhook]);
    expect(await jobsOf(email.id)).toEqual([QUEUES.email]);
    // Marked active at t0 + 60 s: not requeued again until it idles once more.
    await store.requeueStalled(later(61_000), later(30_000), 100, {});
    expect(await jobsOf(webhook.id)).toHaveLength(2);
  });

  it("accepts a batch in one transaction: each new event once, with its own trace; a failed batch writes nothing", async () => {
    const hook = await store.createEndpoint({
      id: newId(),
      url: "http://127.0.0.1:1/batch",
      secret: "whsec_c",
      eventTypes: ["order.confirmed"],
      createdAt: later(20),
    });
    const seen = confirmed("order-f0");
    await accept(seen);
    const [f1, f2] = [confirmed("order-f1"), confirmed("order-f2")];
    const trace = (n: number) => ({ traceparent: `00-${String(n).padStart(32, "0")}-b7ad6b7169203331-01` });
    const item = (event: NotificationEvent, n: number) => ({
      event,
      plan: (endpoints: Parameters<typeof planDeliveries>[1]) => planDeliveries(event, endpoints, newId),
      trace: trace(n),
    });
    const results = await store.acceptEvents([item(f1, 1), item(seen, 2), item(f2, 3), item(f1, 4)], t0);
    // A redelivered event and the second copy of one are no-ops; the others get an email and a
    // webhook per active endpoint for their type (the hook above among them).
    const [f1Deliveries, , f2Deliveries] = results;
    expect(results.map((r) => r === undefined)).toEqual([false, true, false, true]);
    for (const [deliveries, orderId] of [
      [f1Deliveries, "order-f1"],
      [f2Deliveries, "order-f2"],
    ] as const) {
      expect(deliveries?.[0]).toMatchObject({ orderId, channel: "email", status: "pending" });
      expect(deliveries?.filter((d) => d.channel === "webhook").map((d) => d.endpointId)).toContain(hook.id);
      expect(await store.listDeliveries(orderId)).toHaveLength(deliveries?.length ?? -1);
    }
    const jobs = await db
      .selectFrom("outbox")
      .select(["subject", "traceparent"])
      .where(
        "subject",
        "in",
        [...(f1Deliveries ?? []), ...(f2Deliveries ?? [])].map((d) => d.id),
      )
      .execute();
    const traceOf = new Map(jobs.map((job) => [job.subject, job.traceparent]));
    expect(f1Deliveries?.map((d) => traceOf.get(d.id))).toEqual(f1Deliveries?.map(() => trace(1).traceparent));
    expect(f2Deliveries?.map((d) => traceOf.get(d.id))).toEqual(f2Deliveries?.map(() => trace(3).traceparent));
    const claims = await db
      .selectFrom("inbox")
      .select("processed_at")
      .where("event_id", "in", [f1.id, f2.id])
      .execute();
    expect(claims).toHaveLength(2);
    expect(claims[0]?.processed_at).toEqual(claims[1]?.processed_at); // now() of one transaction

    // A batch that cannot be written whole (two deliveries with one id) rolls back as a whole: no
    // inbox claim, event or delivery stays.
    const [g1, g2] = [confirmed("order-g1"), confirmed("order-g2")];
    const clash = newId();
    const fixed = (event: NotificationEvent) => ({
      event,
      plan: () => [{ id: clash, channel: "email" as const, endpointId: null }],
      trace: {},
    });
    await expect(store.acceptEvents([fixed(g1), fixed(g2)], t0)).rejects.toThrow();
    expect(await db.selectFrom("inbox").select("event_id").where("event_id", "in", [g1.id, g2.id]).execute()).toEqual(
      [],
    );
    expect(await store.listDeliveries("order-g1")).toEqual([]);
    expect(await store.acceptEvents([], t0)).toEqual([]);
  });
});
