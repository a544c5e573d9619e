import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { newId, type SqlDatabase } from "@souk/platform";
import { openTestDatabase } from "@souk/platform/testing";
import type { NotificationEvent } from "../domain/notification-event.ts";
import { deliveryJobEncoder } from "../events/delivery-jobs.ts";
import { notificationsMigrations } from "../store/migrations.ts";
import { createNotificationStore } from "../store/notification.store.ts";
import type { NotificationsDatabase } from "../store/notifications.tables.ts";
import { orderEvent } from "../testing/order-event.ts";
import { acceptEvent } from "./accept-event.usecase.ts";

const t0 = new Date("2026-01-01T10:00:00Z");

function cancelled(orderId: string, reason = "customer_request"): NotificationEvent {
  return orderEvent("cancelled", orderId, { total: { amount: 500, currency: "EUR" }, reason, occurredAt: t0 });
}

describe("acceptEvent (group commit over PGlite)", () => {
  let database: SqlDatabase;
  let db: Kysely<NotificationsDatabase>;
  let accept: ReturnType<typeof acceptEvent>;

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.migrate("notifications", notificationsMigrations);
    db = database.forSchema<NotificationsDatabase>("notifications");
    const store = createNotificationStore(
      db,
      deliveryJobEncoder(newId, () => t0),
    );
    accept = acceptEvent({ store, newId, clock: () => t0 });
  });
  afterAll(async () => {
    await database.close();
  });

  const claimedAt = async (events: readonly NotificationEvent[]) =>
    (
      await db
        .selectFrom("inbox")
        .select(["event_id", "processed_at"])
        .where(
          "event_id",
          "in",
          events.map((e) => e.id),
        )
        .execute()
    ).map((row) => row.processed_at.getTime());

  it("accepts the events of one turn in one transaction, each exactly once", async () => {
    const events = [cancelled("order-1"), cancelled("order-2"), cancelled("order-3")];
    const results = await Promise.all(events.map((event) => accept(event, {})));
    expect(results.map((deliveries) => deliveries?.map((d) => [d.orderId, d.channel]))).toEqual([
      [["order-1", "email"]],
      [["order-2", "email"]],
      [["order-3", "email"]],
    ]);
    // now() is the transaction's start: one value for all three claims.
    expect(new Set(await claimedAt(events)).size).toBe(1);
    // Redelivered, alone or together with a new event: nothing again for the old ones.
    const fresh = cancelled("order-4");
    expect(await Promise.all([accept(events[0]!, {}), accept(fresh, {}), accept(events[2]!, {})])).toMatchObject([
      undefined,
      [{ orderId: "order-4" }],
      undefined,
    ]);
  });

  it("fails only the event that cannot be written: the rest of its turn is accepted alone", async () => {
    // jsonb refuses the NUL character: this event's insert fails, and with it the shared transaction.
    const [good1, bad, good2] = [cancelled("order-5"), cancelled("order-6", "nul \u0000 here"), cancelled("order-7")];
    const settled = await Promise.allSettled([accept(good1, {}), accept(bad, {}), accept(good2, {})]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/unicode|\\u0000/i);
    expect(await claimedAt([good1, good2])).toHaveLength(2);
    expect(await claimedAt([bad])).toEqual([]);
    expect(await db.selectFrom("deliveries").select("id").where("order_id", "=", "order-6").execute()).toEqual([]);
  });
});
