import { appendToOutbox, claimInboxEvents, type OutboxMessage } from "@souk/messaging";
import { prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from "kysely";
import type { DeadLetterRecord, DeadLetterView, Delivery } from "../domain/delivery.ts";
import type { NotificationEvent, NotificationEventType } from "../domain/notification-event.ts";
import type { NotificationStore, TraceContext } from "../domain/ports.ts";
import type { WebhookEndpoint } from "../domain/webhook-endpoint.ts";
import type { NotificationsDatabase } from "./notifications.tables.ts";

/** The inbox consumer name of notifications' event consumer. */
export const INBOX_CONSUMER = "notifications";

/** Longest `last_error` kept, in characters. */
const MAX_ERROR_LENGTH = 1000;

/**
 * Builds the outbox message of a delivery's job (its queue, CloudEvents attributes and payload),
 * carrying `trace`. Supplied by the composition root (events/delivery-jobs.ts).
 */
export type DeliveryJobEncoder = (delivery: Delivery, trace: TraceContext) => OutboxMessage;

type Db = Kysely<NotificationsDatabase> | Transaction<NotificationsDatabase>;

function toDelivery(row: Selectable<NotificationsDatabase["deliveries"]>): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type as NotificationEventType,
    orderId: row.order_id,
    channel: row.channel,
    endpointId: row.endpoint_id,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

function toEndpoint(row: Selectable<NotificationsDatabase["webhook_endpoints"]>): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    eventTypes: row.event_types,
    active: row.active,
    createdAt: row.created_at,
  };
}

function toEvent(row: Selectable<NotificationsDatabase["events"]>): NotificationEvent {
  return {
    id: row.event_id,
    type: row.type as NotificationEventType,
    orderId: row.order_id,
    userId: row.user_id,
    occurredAt: row.occurred_at,
    data: row.data,
  };
}

function toDeadLetter(row: Selectable<NotificationsDatabase["dead_letters"]>): DeadLetterRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    deliveryId: row.delivery_id,
    queue: row.queue,
    reason: row.reason,
    attempts: row.attempts,
    failedAt: row.failed_at,
    replayedAt: row.replayed_at,
  };
}

type DeliveryRow = Selectable<NotificationsDatabase["deliveries"]>;
type EventInsert = Insertable<NotificationsDatabase["events"]>;

const deliveryById = prepareQuery((db: Kysely<NotificationsDatabase>, p: { id: string }) =>
  db.selectFrom("deliveries").selectAll().where("id", "=", p.id),
);

const eventById = prepareQuery((db: Kysely<NotificationsDatabase>, p: { eventId: string }) =>
  db.selectFrom("events").selectAll().where("event_id", "=", p.eventId),
);

const endpointById = prepareQuery((db: Kysely<NotificationsDatabase>, p: { id: string }) =>
  db.selectFrom("webhook_endpoints").selectAll().where("id", "=", p.id),
);

/** The active webhook endpoints, oldest first. */
const activeEndpoints = prepareQuery((db: Kysely<NotificationsDatabase>, _: Record<string, never>) =>
  db.selectFrom("webhook_endpoints").selectAll().where("active", "=", true).orderBy("created_at").orderBy("id"),
);

const insertEvents = prepareQueries(
  (db: Kysely<NotificationsDatabase>, p: { events: readonly EventInsert[] }, count: number) =>
    db.insertInto("events").values(
      standInsOf(p.events, count).map((e) => ({
        event_id: e.event_id,
        type: e.type,
        order_id: e.order_id,
        user_id: e.user_id,
        occurred_at: e.occurred_at,
        data: e.data,
      })),
    ),
);

const insertDeliveries = prepareQueries(
  (db: Kysely<NotificationsDatabase>, p: { deliveries: readonly Omit<DeliveryRow, "attempts">[] }, count: number) =>
    db
      .insertInto("deliveries")
      .values(
        standInsOf(p.deliveries, count).map((d) => ({
          id: d.id,
          event_id: d.event_id,
          event_type: d.event_type,
          order_id: d.order_id,
          channel: d.channel,
          endpoint_id: d.endpoint_id,
          status: d.status,
          last_error: d.last_error,
          leased_until: d.leased_until,
          last_activity_at: d.last_activity_at,
          created_at: d.created_at,
          sent_at: d.sent_at,
        })),
      )
      .returningAll(),
);

/** Leases a pending delivery that no other worker holds, counting the attempt. */
const claimDeliveryLease = prepareQuery(
  (db: Kysely<NotificationsDatabase>, p: { deliveryId: string; now: Date; leaseUntil: Date }) =>
    db
      .updateTable("deliveries")
      .set({ attempts: sql`attempts + 1`, leased_until: p.leaseUntil, last_activity_at: p.now })
      .where("id", "=", p.deliveryId)
      .where("status", "=", "pending")
      .where((eb) => eb.or([eb("leased_until", "is", null), eb("leased_until", "<=", p.now)]))
      .returningAll(),
);

const markDeliverySent = prepareQuery((db: Kysely<NotificationsDatabase>, p: { deliveryId: string; now: Date }) =>
  db
    .updateTable("deliveries")
    .set({ status: "sent", sent_at: p.now, leased_until: null, last_error: null })
    .where("id", "=", p.deliveryId)
    .where("status", "!=", "sent"),
);

function deliveryRow(db: Db, id: string) {
  return deliveryById.first(db, { id });
}

async function findDelivery(db: Db, id: string): Promise<Delivery | undefined> {
  const row = await deliveryRow(db, id);
  return row === undefined ? undefined : toDelivery(row);
}

async function withDeliveries(db: Db, records: readonly DeadLetterRecord[]): Promise<DeadLetterView[]> {
  const ids = records.flatMap((r) => (r.deliveryId === null ? [] : [r.deliveryId]));
  const rows = ids.length === 0 ? [] : await db.selectFrom("deliveries").selectAll().where("id", "in", ids).execute();
  const byId = new Map(rows.map((row) => [row.id, toDelivery(row)]));
  return records.map((r) => ({ ...r, delivery: r.deliveryId === null ? undefined : byId.get(r.deliveryId) }));
}

/** Notifications' store port on PostgreSQL (PGlite or a server) through Kysely. */
export function createNotificationStore(
  db: Kysely<NotificationsDatabase>,
  jobFor: DeliveryJobEncoder,
): NotificationStore {
  return {
    async acceptEvents(items, now) {
      if (items.length === 0) return [];
      return db.transaction().execute(async (trx) => {
        const claimed = await claimInboxEvents(
          trx,
          INBOX_CONSUMER,
          items.map(({ event }) => event.id),
        );
        // The first of two items with one id takes the claim; the second is a duplicate.
        const isFresh = items.map(({ event }) => claimed.delete(event.id));
        const fresh = items.filter((_, k) => isFresh[k]);
        if (fresh.length === 0) return items.map(() => undefined);
        const events = fresh.map(({ event }): EventInsert => ({
          event_id: event.id,
          type: event.type,
          order_id: event.orderId,
          user_id: event.userId,
          occurred_at: event.occurredAt,
          data: JSON.stringify(event.data),
        }));
        await insertEvents(events.length).affected(trx, { events });
        const endpoints = (await activeEndpoints.rows(trx, {})).map(toEndpoint);
        const planned = fresh.map(({ event, plan }) => ({ event, deliveries: plan(endpoints) }));
        const values = planned.flatMap(({ event, deliveries }) =>
          deliveries.map((p) => ({
            id: p.id,
            event_id: event.id,
            event_type: event.type,
            order_id: event.orderId,
            channel: p.channel,
            endpoint_id: p.endpointId,
            status: "pending" as const,
            last_error: null,
            leased_until: null,
            last_activity_at: now,
            created_at: now,
            sent_at: null,
          })),
        );
        const rows = values.length === 0 ? [] : await insertDeliveries(values.length).rows(trx, { deliveries: values });
        const byId = new Map(rows.map((row) => [row.id, toDelivery(row)]));
        const created = planned.map(({ deliveries }) => deliveries.map((p) => byId.get(p.id)!));
        await appendToOutbox(
          trx,
          fresh.flatMap(({ trace }, k) => created[k]!.map((d) => jobFor(d, trace))),
        );
        let next = 0;
        return isFresh.map((accepted) => (accepted ? created[next++] : undefined));
      });
    },

    async claimDelivery(deliveryId, now, leaseUntil) {
      return db.transaction().execute(async (trx) => {
        const claimed = await claimDeliveryLease.first(trx, { deliveryId, now, leaseUntil });
        if (claimed === undefined) {
          const row = await deliveryRow(trx, deliveryId);
          if (row === undefined) return { outcome: "missing" };
          // Pending and not claimable: another worker's lease runs (leased_until is in the future).
          return row.status === "pending"
            ? { outcome: "busy", leasedUntil: row.leased_until ?? now }
            : { outcome: "done", delivery: toDelivery(row) };
        }
        const event = await eventById.first(trx, { eventId: claimed.event_id });
        if (event === undefined) throw new Error(`event ${claimed.event_id} of delivery ${deliveryId} is missing`);
        const endpoint =
          claimed.endpoint_id === null ? undefined : await endpointById.first(trx, { id: claimed.endpoint_id });
        if (claimed.endpoint_id !== null && endpoint === undefined) {
          throw new Error(`webhook endpoint ${claimed.endpoint_id} of delivery ${deliveryId} is missing`);
        }
        return {
          outcome: "claimed",
          delivery: toDelivery(claimed),
          event: toEvent(event),
          endpoint: endpoint === undefined ? undefined : toEndpoint(endpoint),
        };
      });
    },

    async markSent(deliveryId, now) {
      await markDeliverySent.affected(db, { deliveryId, now });
    },

    async recordFailure(deliveryId, error) {
      await db
        .updateTable("deliveries")
        .set({ last_error: error.slice(0, MAX_ERROR_LENGTH), leased_until: null })
        .where("id", "=", deliveryId)
        .execute();
    },

    async recordDeadLetter(dead) {
      return db.transaction().execute(async (trx) => {
        // A job may name a delivery this store never had (a forged or foreign job): keep the letter, unlinked.
        const delivery = dead.deliveryId === null ? undefined : await findDelivery(trx, dead.deliveryId);
        const inserted = await trx
          .insertInto("dead_letters")
          .values({
            id: dead.id,
            job_id: dead.jobId,
            delivery_id: delivery?.id ?? null,
            queue: dead.queue,
            reason: dead.reason.slice(0, MAX_ERROR_LENGTH),
            attempts: dead.attempts,
            failed_at: dead.failedAt,
            replayed_at: null,
          })
          .onConflict((oc) => oc.column("job_id").doNothing())
          .returning("id")
          .executeTakeFirst();
        if (inserted === undefined) return false;
        if (delivery !== undefined) {
          await trx
            .updateTable("deliveries")
            .set({ status: "dead", leased_until: null })
            .where("id", "=", delivery.id)
            .where("status", "=", "pending")
            .execute();
        }
        return true;
      });
    },

    async replayDeadLetter(deadLetterId, now, refuse, trace) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom("dead_letters")
          .selectAll()
          .where("id", "=", deadLetterId)
          .forUpdate()
          .executeTakeFirst();
        if (row === undefined) return { outcome: "missing" };
        const record = toDeadLetter(row);
        const delivery = record.deliveryId === null ? undefined : await findDelivery(trx, record.deliveryId);
        const error = refuse(record, delivery);
        if (error !== undefined) return { outcome: "refused", error };
        if (delivery === undefined) throw new Error(`dead letter ${deadLetterId} lost its delivery`);
        await trx.updateTable("dead_letters").set({ replayed_at: now }).where("id", "=", deadLetterId).execute();
        const pending = await trx
          .updateTable("deliveries")
          .set({ status: "pending", leased_until: null, last_activity_at: now })
          .where("id", "=", delivery.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendToOutbox(trx, [jobFor(toDelivery(pending), trace)]);
        return {
          outcome: "replayed",
          deadLetter: { ...record, replayedAt: now, delivery: toDelivery(pending) },
        };
      });
    },

    async requeueStalled(now, idleSince, limit, trace) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .updateTable("deliveries")
          .set({ last_activity_at: now })
          .where(
            "id",
            "in",
            trx
              .selectFrom("deliveries")
              .select("id")
              .where("status", "=", "pending")
              .where("last_activity_at", "<", idleSince)
              .where((eb) => eb.or([eb("leased_until", "is", null), eb("leased_until", "<=", now)]))
              .orderBy("last_activity_at")
              .limit(limit)
              .forUpdate()
              .skipLocked(),
          )
          .returningAll()
          .execute();
        const deliveries = rows.map(toDelivery);
        await appendToOutbox(
          trx,
          deliveries.map((d) => jobFor(d, trace)),
        );
        return deliveries.length;
      });
    },

    async listDeadLetters(limit, after) {
      let query = db.selectFrom("dead_letters").selectAll().orderBy("id", "desc").limit(limit);
      if (after !== undefined) query = query.where("id", "<", after);
      return withDeliveries(db, (await query.execute()).map(toDeadLetter));
    },

    async listDeliveries(orderId) {
      const rows = await db
        .selectFrom("deliveries")
        .selectAll()
        .where("order_id", "=", orderId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toDelivery);
    },

    async createEndpoint(endpoint) {
      const row = await db
        .insertInto("webhook_endpoints")
        .values({
          id: endpoint.id,
          url: endpoint.url,
          secret: endpoint.secret,
          event_types: [...endpoint.eventTypes],
          created_at: endpoint.createdAt,
          deactivated_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEndpoint(row);
    },

    async listEndpoints() {
      const rows = await db
        .selectFrom("webhook_endpoints")
        .selectAll()
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map(toEndpoint);
    },

    async deactivateEndpoint(id, now) {
      const row = await db
        .updateTable("webhook_endpoints")
        .set({ active: false, deactivated_at: sql`coalesce(deactivated_at, ${now})` })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? undefined : toEndpoint(row);
    },
  };
}
