import { sql, type Generated, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Order, OrderLine, OrderStatus, ShippingAddress, SagaState } from "../domain/order.ts";
import type { OrderStore } from "../domain/ports.ts";
import type { SagaAction, StepOutcome, Transition } from "../domain/saga.ts";
import { appendToOutbox, type OutboxDatabase } from "@souk/messaging";
import { prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import { orderPlacedEvent, orderStatusEvent } from "../events/order.events.ts";

interface OrdersTable {
  id: string;
  user_id: string;
  status: OrderStatus;
  total_minor: number;
  currency: string;
  shipping_address: ShippingAddress;
  payment_method_id: string;
  idempotency_key: string;
  request_fingerprint: string;
  cancellation_reason: string | null;
  saga_phase: SagaState["phase"];
  saga_step: number;
  saga_attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  created_at: Date;
  updated_at: Date;
}
interface OrderLinesTable {
  order_id: string;
  line_no: number;
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
  line_total_minor: number;
  currency: string;
}
interface SagaLogTable {
  id: Generated<number>;
  order_id: string;
  action: string;
  outcome: string;
  detail: string | null;
  phase_after: string;
  status_after: string;
  at: Date;
}
/** The `orders` schema as Kysely sees it. */
export interface OrdersDatabase extends OutboxDatabase {
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  saga_log: SagaLogTable;
}

type Db = Kysely<OrdersDatabase> | Transaction<OrdersDatabase>;

function toOrder(row: Selectable<OrdersTable>, lines: readonly OrderLine[]): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    total: { amountMinor: row.total_minor, currency: row.currency },
    lines,
    shippingAddress: row.shipping_address,
    paymentMethodId: row.payment_method_id,
    idempotencyKey: row.idempotency_key,
    requestFingerprint: row.request_fingerprint,
    cancellationReason: row.cancellation_reason ?? undefined,
    saga: {
      phase: row.saga_phase,
      step: row.saga_step,
      attempts: row.saga_attempts,
      nextAttemptAt: row.next_attempt_at,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The lines of one order, in order. */
const linesOfOrder = prepareQuery((db: Kysely<OrdersDatabase>, p: { orderId: string }) =>
  db.selectFrom("order_lines").selectAll().where("order_id", "=", p.orderId).orderBy("line_no"),
);

async function withLines(db: Db, rows: Selectable<OrdersTable>[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const lines =
    rows.length === 1
      ? await linesOfOrder.rows(db, { orderId: rows[0]!.id })
      : await db
          .selectFrom("order_lines")
          .selectAll()
          .where(
            "order_id",
            "in",
            rows.map((r) => r.id),
          )
          .orderBy("order_id")
          .orderBy("line_no")
          .execute();
  return rows.map((row) =>
    toOrder(
      row,
      lines
        .filter((l) => l.order_id === row.id)
        .map((l): OrderLine => ({
          productId: l.product_id,
          sku: l.sku,
          name: l.name,
          quantity: l.quantity,
          unitPrice: { amountMinor: l.unit_price_minor, currency: l.currency },
          lineTotal: { amountMinor: l.line_total_minor, currency: l.currency },
        })),
    ),
  );
}

const orderById = prepareQuery((db: Kysely<OrdersDatabase>, p: { orderId: string }) =>
  db.selectFrom("orders").selectAll().where("id", "=", p.orderId),
);

const orderByIdempotencyKey = prepareQuery(
  (db: Kysely<OrdersDatabase>, p: { userId: string; idempotencyKey: string }) =>
    db.selectFrom("orders").selectAll().where("user_id", "=", p.userId).where("idempotency_key", "=", p.idempotencyKey),
);

async function load(db: Db, orderId: string): Promise<Order | undefined> {
  const row = await orderById.first(db, { orderId });
  return row === undefined ? undefined : (await withLines(db, [row]))[0];
}

/** What one saga step writes: see `OrderStore.saveTransition`. */
interface StepWrite {
  readonly order: Order;
  readonly owner: string;
  readonly action: SagaAction;
  readonly outcome: StepOutcome;
  readonly next: Transition;
  readonly now: Date;
  readonly leaseUntil: Date;
}

/**
 * A saga step's write as ONE statement (data-modifying CTEs, so it is atomic without a
 * transaction): locks the order and reads its status before the change (`before`), applies the
 * transition only while `owner` holds the lease (`upd`), and logs the step from what was
 * written (`log`, which inserts nothing when `upd` updated nothing). `before` takes the row
 * lock so `previous_status` is the status this update replaced, even after waiting for a
 * concurrent writer. With `onlyIfStatusKept` the update also requires the stored status to be
 * `next.status` already, so the write cannot be a status change (which needs its outbox event).
 * @returns the updated row with `previous_status`, or undefined when nothing was written.
 */
const writeStepQuery = prepareQueries(
  (
    db: Kysely<OrdersDatabase>,
    p: {
      orderId: string;
      owner: string;
      status: OrderStatus;
      cancellationReason: string | null;
      phase: SagaState["phase"];
      step: number;
      attempts: number;
      nextAttemptAt: Date;
      leaseUntil: Date;
      now: Date;
      action: string;
      outcome: string;
      detail: string | null;
    },
    onlyIfStatusKept: boolean,
  ) =>
    db
      .with("before", (qb) => qb.selectFrom("orders").select(["id", "status"]).where("id", "=", p.orderId).forUpdate())
      .with("upd", (qb) => {
        const update = qb
          .updateTable("orders")
          .set({
            status: p.status,
            cancellation_reason: p.cancellationReason,
            saga_phase: p.phase,
            saga_step: p.step,
            saga_attempts: p.attempts,
            next_attempt_at: p.nextAttemptAt,
            lease_until: p.leaseUntil,
            updated_at: p.now,
          })
          .from("before")
          .whereRef("orders.id", "=", "before.id")
          .where("orders.lease_owner", "=", p.owner);
        return (onlyIfStatusKept ? update.where("before.status", "=", p.status) : update)
          .returningAll("orders")
          .returning("before.status as previous_status");
      })
      .with("log", (qb) =>
        qb
          .insertInto("saga_log")
          .columns(["order_id", "action", "outcome", "detail", "phase_after", "status_after", "at"])
          .expression((eb) =>
            eb
              .selectFrom("upd")
              // A parameter in a select list has nothing to infer its type from: cast to the column's.
              .select([
                "upd.id",
                sql<string>`${p.action}::text`.as("action"),
                sql<string>`${p.outcome}::text`.as("outcome"),
                sql<string | null>`${p.detail}::text`.as("detail"),
                "upd.saga_phase",
                "upd.status",
                "upd.updated_at",
              ]),
          ),
      )
      .selectFrom("upd")
      .selectAll(),
);

function writeStep(db: Db, step: StepWrite, onlyIfStatusKept: boolean) {
  const { order, owner, outcome, next, now, leaseUntil } = step;
  const detail =
    outcome.kind === "failed" ? outcome.reason : outcome.kind === "retry" ? outcome.error.slice(0, 500) : null;
  return writeStepQuery(onlyIfStatusKept).first(db, {
    orderId: order.id,
    owner,
    status: next.status,
    cancellationReason: next.cancellationReason ?? null,
    phase: next.saga.phase,
    step: next.saga.step,
    attempts: next.saga.attempts,
    nextAttemptAt: next.saga.nextAttemptAt,
    leaseUntil,
    now,
    action: step.action,
    outcome: outcome.kind,
    detail,
  });
}

const insertOrder = prepareQuery((db: Kysely<OrdersDatabase>, p: OrdersTable) =>
  db
    .insertInto("orders")
    .values({
      id: p.id,
      user_id: p.user_id,
      status: p.status,
      total_minor: p.total_minor,
      currency: p.currency,
      shipping_address: p.shipping_address,
      payment_method_id: p.payment_method_id,
      idempotency_key: p.idempotency_key,
      request_fingerprint: p.request_fingerprint,
      cancellation_reason: p.cancellation_reason,
      saga_phase: p.saga_phase,
      saga_step: p.saga_step,
      saga_attempts: p.saga_attempts,
      next_attempt_at: p.next_attempt_at,
      lease_owner: p.lease_owner,
      lease_until: p.lease_until,
      created_at: p.created_at,
      updated_at: p.updated_at,
    })
    .onConflict((oc) => oc.columns(["user_id", "idempotency_key"]).doNothing())
    .returning("id"),
);

const insertLines = prepareQueries(
  (db: Kysely<OrdersDatabase>, p: { lines: readonly OrderLinesTable[] }, count: number) =>
    db.insertInto("order_lines").values(
      standInsOf(p.lines, count).map((line) => ({
        order_id: line.order_id,
        line_no: line.line_no,
        product_id: line.product_id,
        sku: line.sku,
        name: line.name,
        quantity: line.quantity,
        unit_price_minor: line.unit_price_minor,
        line_total_minor: line.line_total_minor,
        currency: line.currency,
      })),
    ),
);

/** Takes the saga's lease of a running order that is free, expired, or already `owner`'s. */
const acquireLease = prepareQuery(
  (db: Kysely<OrdersDatabase>, p: { orderId: string; owner: string; now: Date; leaseUntil: Date }) =>
    db
      .updateTable("orders")
      .set({ lease_owner: p.owner, lease_until: p.leaseUntil })
      .where("id", "=", p.orderId)
      .where("saga_phase", "<>", "done")
      .where((eb) =>
        eb.or([eb("lease_until", "is", null), eb("lease_until", "<", p.now), eb("lease_owner", "=", p.owner)]),
      )
      .returningAll(),
);

const releaseLease = prepareQuery((db: Kysely<OrdersDatabase>, p: { orderId: string; owner: string }) =>
  db
    .updateTable("orders")
    .set({ lease_owner: null, lease_until: null })
    .where("id", "=", p.orderId)
    .where("lease_owner", "=", p.owner),
);

/**
 * Orders' store port on PostgreSQL (PGlite or a server) through Kysely. Every status change
 * writes its domain event to the outbox in the same transaction; `onOutboxWritten` is called
 * after such a commit (to nudge the relay).
 */
export function createOrderStore(db: Kysely<OrdersDatabase>, onOutboxWritten: () => void = () => {}): OrderStore {
  return {
    async findByIdempotencyKey(userId, idempotencyKey) {
      const row = await orderByIdempotencyKey.first(db, { userId, idempotencyKey });
      return row === undefined ? undefined : (await withLines(db, [row]))[0];
    },

    async insert(order, owner, leaseUntil) {
      const result = await db.transaction().execute(async (trx) => {
        const inserted = await insertOrder.first(trx, {
          id: order.id,
          user_id: order.userId,
          status: order.status,
          total_minor: order.total.amountMinor,
          currency: order.total.currency,
          shipping_address: JSON.stringify(order.shippingAddress) as unknown as ShippingAddress,
          payment_method_id: order.paymentMethodId,
          idempotency_key: order.idempotencyKey,
          request_fingerprint: order.requestFingerprint,
          cancellation_reason: order.cancellationReason ?? null,
          saga_phase: order.saga.phase,
          saga_step: order.saga.step,
          saga_attempts: order.saga.attempts,
          next_attempt_at: order.saga.nextAttemptAt,
          lease_owner: owner,
          lease_until: leaseUntil,
          created_at: order.createdAt,
          updated_at: order.updatedAt,
        });
        if (inserted === undefined) {
          const existing = await orderByIdempotencyKey.first(trx, {
            userId: order.userId,
            idempotencyKey: order.idempotencyKey,
          });
          if (existing === undefined) throw new Error(`order of idempotency key ${order.idempotencyKey} vanished`);
          return { inserted: false as const, existing: (await withLines(trx, [existing]))[0] as Order };
        }
        const lines = order.lines.map((l, i): OrderLinesTable => ({
          order_id: order.id,
          line_no: i + 1,
          product_id: l.productId,
          sku: l.sku,
          name: l.name,
          quantity: l.quantity,
          unit_price_minor: l.unitPrice.amountMinor,
          line_total_minor: l.lineTotal.amountMinor,
          currency: l.lineTotal.currency,
        }));
        await insertLines(lines.length).affected(trx, { lines });
        await appendToOutbox(trx, [orderPlacedEvent(order)]);
        return { inserted: true as const };
      });
      if (result.inserted) onOutboxWritten();
      return result;
    },

    get: (orderId) => load(db, orderId),

    async listByUser(userId, limit, beforeId) {
      let query = db.selectFrom("orders").selectAll().where("user_id", "=", userId);
      if (beforeId !== undefined) query = query.where("id", "<", beforeId);
      return withLines(db, await query.orderBy("id", "desc").limit(limit).execute());
    },

    async acquireLease(order, owner, now, leaseUntil) {
      const orderId = typeof order === "string" ? order : order.id;
      const row = await acquireLease.first(db, { orderId, owner, now, leaseUntil });
      if (row === undefined) return undefined;
      return typeof order === "string" ? (await withLines(db, [row]))[0] : toOrder(row, order.lines);
    },

    async saveTransition(order, owner, action, outcome, next, now, leaseUntil) {
      const step: StepWrite = { order, owner, action, outcome, next, now, leaseUntil };
      // Most steps keep the status: one statement, no transaction. It is guarded to stay so; when
      // the guard does not hold (the lease is lost, or the status moved under this runner) the
      // transactional path below decides, as it does for every status change.
      if (next.status === order.status) {
        const row = await writeStep(db, step, true);
        if (row !== undefined) return toOrder(row, order.lines);
      }
      let published = false;
      const saved = await db.transaction().execute(async (trx) => {
        const row = await writeStep(trx, step, false);
        if (row === undefined) return undefined;
        const savedOrder = toOrder(row, order.lines);
        const event = orderStatusEvent(row.previous_status, savedOrder, now);
        if (event !== undefined) {
          await appendToOutbox(trx, [event]);
          published = true;
        }
        return savedOrder;
      });
      if (published) onOutboxWritten();
      return saved;
    },

    async releaseLease(orderId, owner) {
      await releaseLease.affected(db, { orderId, owner });
    },

    async findRunnable(now, limit) {
      const rows = await db
        .selectFrom("orders")
        .select("id")
        .where("saga_phase", "<>", "done")
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
        .orderBy("next_attempt_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    async startRefund(orderId, userId, now, owner, leaseUntil) {
      const row = await db
        .updateTable("orders")
        .set({
          saga_phase: "refunding",
          saga_step: 0,
          saga_attempts: 0,
          next_attempt_at: now,
          lease_owner: owner,
          lease_until: leaseUntil,
          updated_at: now,
        })
        .where("id", "=", orderId)
        .where("user_id", "=", userId)
        .where("status", "=", "CONFIRMED")
        .where("saga_phase", "=", "done")
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? undefined : (await withLines(db, [row]))[0];
    },
  };
}
