import { claimInboxEvents, type InboxDatabase } from "@souk/messaging";
import { prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import { sql, type ColumnType, type Kysely, type Selectable, type Transaction } from "kysely";
import { compare, minuteOf, type BucketDelta } from "../domain/aggregates.ts";
import type { ConsumerState } from "../domain/consumer-state.ts";
import type { OrderFact, OrderFactStatus, SoldLine } from "../domain/order-fact.ts";
import { PAYMENT_KINDS, type PaymentEvent, type PaymentKind } from "../domain/payment-fact.ts";
import type { AnalyticsStore, AnalyticsUnitOfWork } from "../domain/ports.ts";
import type { CurrencyTotals, PaymentTotal } from "../domain/report.ts";

/** The inbox consumer name of analytics (one consumer per service; the group changes, the inbox stays). */
export const ANALYTICS_INBOX_CONSUMER = "analytics";

/** The single row of `consumer_state`. */
const STATE_ID = "analytics";

interface ConsumerStateTable {
  id: string;
  base_group: string;
  consumer_group: string;
  started_at: Date;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
interface OrderFactsTable {
  order_id: string;
  user_id: string;
  currency: string;
  total_minor: number;
  status: OrderFactStatus;
  /** jsonb: written as JSON text, read back parsed. */
  lines: ColumnType<SoldLine[], string, string>;
  cancellation_reason: string | null;
  refund_reason: string | null;
  placed_at: Date | null;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  refunded_at: Date | null;
  last_event_at: Date;
  applied_at: Date;
  confirmed_applied_at: Date | null;
  confirmed_lag_ms: number | null;
}
interface MinuteBucketsTable {
  minute: Date;
  currency: string;
  orders_placed: number;
  orders_confirmed: number;
  orders_cancelled: number;
  orders_refunded: number;
  revenue_minor: number;
  refunds_minor: number;
}
interface ProductSalesTable {
  product_id: string;
  currency: string;
  sku: string;
  name: string;
  units: number;
  revenue_minor: number;
}
interface CancellationReasonsTable {
  reason: string;
  count: number;
}
interface PaymentFactsTable {
  payment_id: string;
  kind: PaymentKind;
  order_id: string;
  currency: string;
  amount_minor: number;
  failure_code: string;
  at: Date;
}
interface PaymentMinutesTable {
  minute: Date;
  currency: string;
  kind: PaymentKind;
  payments: number;
  amount_minor: number;
}

/** The `analytics` schema as Kysely sees it. */
export interface AnalyticsDatabase extends InboxDatabase {
  consumer_state: ConsumerStateTable;
  order_facts: OrderFactsTable;
  minute_buckets: MinuteBucketsTable;
  product_sales: ProductSalesTable;
  cancellation_reasons: CancellationReasonsTable;
  payment_facts: PaymentFactsTable;
  payment_minutes: PaymentMinutesTable;
}

type Db = Kysely<AnalyticsDatabase> | Transaction<AnalyticsDatabase>;

/** Every table a rebuild empties (and locks while it does). */
const REBUILT_TABLES = [
  "order_facts",
  "minute_buckets",
  "product_sales",
  "cancellation_reasons",
  "payment_facts",
  "payment_minutes",
] as const;

const toState = (row: Selectable<ConsumerStateTable>): ConsumerState => ({
  baseGroup: row.base_group,
  consumerGroup: row.consumer_group,
  startedAt: row.started_at,
});

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function toFact(row: Selectable<OrderFactsTable>): OrderFact {
  return {
    orderId: row.order_id,
    userId: row.user_id,
    currency: row.currency,
    totalMinor: row.total_minor,
    status: row.status,
    lines: row.lines,
    cancellationReason: orUndefined(row.cancellation_reason),
    refundReason: orUndefined(row.refund_reason),
    placedAt: orUndefined(row.placed_at),
    confirmedAt: orUndefined(row.confirmed_at),
    cancelledAt: orUndefined(row.cancelled_at),
    refundedAt: orUndefined(row.refunded_at),
    lastEventAt: row.last_event_at,
    appliedAt: row.applied_at,
    confirmedAppliedAt: orUndefined(row.confirmed_applied_at),
    confirmedLagMs: orUndefined(row.confirmed_lag_ms),
  };
}

function toRow(fact: OrderFact) {
  return {
    order_id: fact.orderId,
    user_id: fact.userId,
    currency: fact.currency,
    total_minor: fact.totalMinor,
    status: fact.status,
    lines: JSON.stringify(fact.lines),
    cancellation_reason: fact.cancellationReason ?? null,
    refund_reason: fact.refundReason ?? null,
    placed_at: fact.placedAt ?? null,
    confirmed_at: fact.confirmedAt ?? null,
    cancelled_at: fact.cancelledAt ?? null,
    refunded_at: fact.refundedAt ?? null,
    last_event_at: fact.lastEventAt,
    applied_at: fact.appliedAt,
    confirmed_applied_at: fact.confirmedAppliedAt ?? null,
    confirmed_lag_ms: fact.confirmedLagMs ?? null,
  };
}

/** An order fact's row, as `toRow` makes it. */
type OrderFactRow = ReturnType<typeof toRow>;

const consumerStateRow = prepareQuery((db: Kysely<AnalyticsDatabase>, _: Record<string, never>) =>
  db.selectFrom("consumer_state").selectAll().where("id", "=", STATE_ID),
);

/** Locks the facts of `count` orders (ids sorted, so concurrent batches lock in one order). */
const lockOrderFactRows = prepareQueries(
  (db: Kysely<AnalyticsDatabase>, p: { ids: readonly string[] }, count: number) =>
    db
      .selectFrom("order_facts")
      .selectAll()
      .where("order_id", "in", standInsOf(p.ids, count))
      .orderBy("order_id")
      .forUpdate(),
);

/** The columns of `order_facts` every write sets, as placeholders of `p`. */
function orderFactValues(p: OrderFactRow): OrderFactRow {
  return {
    order_id: p.order_id,
    user_id: p.user_id,
    currency: p.currency,
    total_minor: p.total_minor,
    status: p.status,
    lines: p.lines,
    cancellation_reason: p.cancellation_reason,
    refund_reason: p.refund_reason,
    placed_at: p.placed_at,
    confirmed_at: p.confirmed_at,
    cancelled_at: p.cancelled_at,
    refunded_at: p.refunded_at,
    last_event_at: p.last_event_at,
    applied_at: p.applied_at,
    confirmed_applied_at: p.confirmed_applied_at,
    confirmed_lag_ms: p.confirmed_lag_ms,
  };
}

const insertOrderFact = prepareQuery((db: Kysely<AnalyticsDatabase>, p: OrderFactRow) =>
  db
    .insertInto("order_facts")
    .values(orderFactValues(p))
    .onConflict((oc) => oc.column("order_id").doNothing())
    .returning("order_id"),
);

const updateOrderFact = prepareQuery((db: Kysely<AnalyticsDatabase>, p: OrderFactRow) =>
  db.updateTable("order_facts").set(orderFactValues(p)).where("order_id", "=", p.order_id),
);

function unitOfWork(trx: Transaction<AnalyticsDatabase>): AnalyticsUnitOfWork {
  return {
    async consumerState() {
      const row = await consumerStateRow.first(trx, {});
      if (row === undefined) throw new Error("analytics consumer state is missing: ensureConsumerState runs first");
      return toState(row);
    },

    claimEvents: (eventIds) => claimInboxEvents(trx, ANALYTICS_INBOX_CONSUMER, eventIds),

    async lockOrderFacts(orderIds) {
      const ids = [...new Set(orderIds)].sort();
      if (ids.length === 0) return new Map();
      const rows = await lockOrderFactRows(ids.length).rows(trx, { ids });
      return new Map(rows.map((row) => [row.order_id, toFact(row)]));
    },

    async saveOrderFact(fact, isNew) {
      const row = toRow(fact);
      if (isNew) {
        const inserted = await insertOrderFact.first(trx, row);
        if (inserted === undefined) throw new Error(`order fact ${fact.orderId} was inserted concurrently; retry`);
        return;
      }
      await updateOrderFact.affected(trx, row);
    },

    async applyDelta(delta) {
      if (delta.buckets.length > 0) {
        await trx
          .insertInto("minute_buckets")
          .values(
            delta.buckets.map((b) => ({
              minute: b.minute,
              currency: b.currency,
              orders_placed: b.ordersPlaced,
              orders_confirmed: b.ordersConfirmed,
              orders_cancelled: b.ordersCancelled,
              orders_refunded: b.ordersRefunded,
              revenue_minor: b.revenueMinor,
              refunds_minor: b.refundsMinor,
            })),
          )
          .onConflict((oc) =>
            oc.columns(["minute", "currency"]).doUpdateSet((eb) => ({
              orders_placed: eb("minute_buckets.orders_placed", "+", eb.ref("excluded.orders_placed")),
              orders_confirmed: eb("minute_buckets.orders_confirmed", "+", eb.ref("excluded.orders_confirmed")),
              orders_cancelled: eb("minute_buckets.orders_cancelled", "+", eb.ref("excluded.orders_cancelled")),
              orders_refunded: eb("minute_buckets.orders_refunded", "+", eb.ref("excluded.orders_refunded")),
              revenue_minor: eb("minute_buckets.revenue_minor", "+", eb.ref("excluded.revenue_minor")),
              refunds_minor: eb("minute_buckets.refunds_minor", "+", eb.ref("excluded.refunds_minor")),
            })),
          )
          .execute();
      }
      if (delta.products.length > 0) {
        await trx
          .insertInto("product_sales")
          .values(
            delta.products.map((p) => ({
              product_id: p.productId,
              currency: p.currency,
              sku: p.sku,
              name: p.name,
              units: p.units,
              revenue_minor: p.revenueMinor,
            })),
          )
          .onConflict((oc) =>
            oc.columns(["product_id", "currency"]).doUpdateSet((eb) => ({
              units: eb("product_sales.units", "+", eb.ref("excluded.units")),
              revenue_minor: eb("product_sales.revenue_minor", "+", eb.ref("excluded.revenue_minor")),
            })),
          )
          .execute();
      }
      if (delta.reasons.length > 0) {
        await trx
          .insertInto("cancellation_reasons")
          .values(delta.reasons.map((r) => ({ reason: r.reason, count: r.count })))
          .onConflict((oc) =>
            oc.column("reason").doUpdateSet((eb) => ({
              count: eb("cancellation_reasons.count", "+", eb.ref("excluded.count")),
            })),
          )
          .execute();
      }
    },

    async recordPayments(payments) {
      const keyOf = (p: { paymentId: string; kind: string }) => `${p.paymentId} ${p.kind}`;
      const firsts = new Map<string, PaymentEvent>();
      for (const payment of payments) if (!firsts.has(keyOf(payment))) firsts.set(keyOf(payment), payment);
      const unique = [...firsts.values()];
      if (unique.length === 0) return [];
      const inserted = await trx
        .insertInto("payment_facts")
        .values(
          unique.map((payment) => ({
            payment_id: payment.paymentId,
            kind: payment.kind,
            order_id: payment.orderId,
            currency: payment.amount.currency,
            amount_minor: payment.amount.amountMinor,
            failure_code: payment.failureCode,
            at: payment.at,
          })),
        )
        .onConflict((oc) => oc.columns(["payment_id", "kind"]).doNothing())
        .returning(["payment_id", "kind"])
        .execute();
      const counted = new Set(inserted.map((row) => keyOf({ paymentId: row.payment_id, kind: row.kind })));
      const minutes = new Map<string, PaymentMinutesTable>();
      for (const payment of unique) {
        if (!counted.has(keyOf(payment))) continue;
        const minute = minuteOf(payment.at);
        const key = `${minute.toISOString()} ${payment.amount.currency} ${payment.kind}`;
        const current = minutes.get(key);
        minutes.set(key, {
          minute,
          currency: payment.amount.currency,
          kind: payment.kind,
          payments: (current?.payments ?? 0) + 1,
          amount_minor: (current?.amount_minor ?? 0) + payment.amount.amountMinor,
        });
      }
      if (minutes.size > 0) {
        await trx
          .insertInto("payment_minutes")
          // Key order: concurrent transactions lock the rows they share in one order (no deadlock).
          .values([...minutes].sort(([a], [b]) => compare(a, b)).map(([, row]) => row))
          .onConflict((oc) =>
            oc.columns(["minute", "currency", "kind"]).doUpdateSet((eb) => ({
              payments: eb("payment_minutes.payments", "+", eb.ref("excluded.payments")),
              amount_minor: eb("payment_minutes.amount_minor", "+", eb.ref("excluded.amount_minor")),
            })),
          )
          .execute();
      }
      // The first of two equal (payment, kind) pairs in the batch is the one counted.
      return payments.map((payment) => counted.delete(keyOf(payment)));
    },
  };
}

async function readState(db: Db): Promise<ConsumerState | undefined> {
  const row = await consumerStateRow.first(db, {});
  return row === undefined ? undefined : toState(row);
}

const sum = (column: string) => sql<number>`coalesce(sum(${sql.ref(column)}), 0)::int8`;

/**
 * Analytics' store port on PostgreSQL (PGlite or a server) through Kysely. `db` resolves table
 * names in `schema` (`SqlDatabase.forSchema`); `schema` itself names the tables of the raw
 * statements a rebuild needs (LOCK, TRUNCATE).
 */
export function createAnalyticsStore(db: Kysely<AnalyticsDatabase>, schema: string): AnalyticsStore {
  const table = (name: string) => sql.table(`${schema}.${name}`);
  return {
    transaction: (work) => db.transaction().execute((trx) => work(unitOfWork(trx))),

    async ensureConsumerState(baseGroup, now) {
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto("consumer_state")
          .values({ id: STATE_ID, base_group: baseGroup, consumer_group: baseGroup, started_at: now })
          .onConflict((oc) => oc.column("id").doNothing())
          .execute();
        const state = await trx
          .selectFrom("consumer_state")
          .selectAll()
          .where("id", "=", STATE_ID)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (state.base_group === baseGroup) return toState(state);
        const switched = await trx
          .updateTable("consumer_state")
          .set({ base_group: baseGroup, consumer_group: baseGroup, started_at: now, updated_at: now })
          .where("id", "=", STATE_ID)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toState(switched);
      });
    },

    consumerState: () => readState(db),

    async resetForRebuild(next) {
      await db.transaction().execute(async (trx) => {
        // Every event transaction reads consumer_state first: this lock waits for those in flight
        // and holds new ones until the wipe commits, after which they see the new group.
        await sql`lock table ${sql.join(
          ["consumer_state", "inbox", ...REBUILT_TABLES].map(table),
        )} in access exclusive mode`.execute(trx);
        await sql`truncate ${sql.join(REBUILT_TABLES.map(table))}`.execute(trx);
        await trx.deleteFrom("inbox").where("consumer", "=", ANALYTICS_INBOX_CONSUMER).execute();
        await trx
          .updateTable("consumer_state")
          .set({
            base_group: next.baseGroup,
            consumer_group: next.consumerGroup,
            started_at: next.startedAt,
            updated_at: next.startedAt,
          })
          .where("id", "=", STATE_ID)
          .execute();
      });
    },

    async totals(window) {
      let orders = db
        .selectFrom("minute_buckets")
        .select([
          "currency",
          sum("orders_placed").as("orders_placed"),
          sum("orders_confirmed").as("orders_confirmed"),
          sum("orders_cancelled").as("orders_cancelled"),
          sum("orders_refunded").as("orders_refunded"),
          sum("revenue_minor").as("revenue_minor"),
          sum("refunds_minor").as("refunds_minor"),
        ])
        .groupBy("currency");
      let payments = db
        .selectFrom("payment_minutes")
        .select(["currency", "kind", sum("payments").as("payments"), sum("amount_minor").as("amount_minor")])
        .groupBy(["currency", "kind"]);
      if (window.from !== undefined) {
        orders = orders.where("minute", ">=", window.from);
        payments = payments.where("minute", ">=", window.from);
      }
      if (window.to !== undefined) {
        orders = orders.where("minute", "<", window.to);
        payments = payments.where("minute", "<", window.to);
      }
      const [orderRows, paymentRows] = [await orders.execute(), await payments.execute()];
      const byCurrency = new Map<string, PaymentTotal[]>();
      for (const row of paymentRows) {
        const list = byCurrency.get(row.currency) ?? [];
        list.push({ kind: row.kind, count: row.payments, amountMinor: row.amount_minor });
        byCurrency.set(row.currency, list);
      }
      const currencies = [...new Set([...orderRows.map((r) => r.currency), ...byCurrency.keys()])].sort();
      return currencies.map((currency): CurrencyTotals => {
        const row = orderRows.find((r) => r.currency === currency);
        return {
          currency,
          ordersPlaced: row?.orders_placed ?? 0,
          ordersConfirmed: row?.orders_confirmed ?? 0,
          ordersCancelled: row?.orders_cancelled ?? 0,
          ordersRefunded: row?.orders_refunded ?? 0,
          revenueMinor: row?.revenue_minor ?? 0,
          refundsMinor: row?.refunds_minor ?? 0,
          payments: (byCurrency.get(currency) ?? []).sort(
            (a, b) => PAYMENT_KINDS.indexOf(a.kind) - PAYMENT_KINDS.indexOf(b.kind),
          ),
        };
      });
    },

    async buckets(window, currency) {
      let query = db
        .selectFrom("minute_buckets")
        .selectAll()
        .where("minute", ">=", window.from)
        .where("minute", "<", window.to)
        .orderBy("minute")
        .orderBy("currency");
      if (currency !== undefined) query = query.where("currency", "=", currency);
      return (await query.execute()).map((r): BucketDelta => ({
        minute: r.minute,
        currency: r.currency,
        ordersPlaced: r.orders_placed,
        ordersConfirmed: r.orders_confirmed,
        ordersCancelled: r.orders_cancelled,
        ordersRefunded: r.orders_refunded,
        revenueMinor: r.revenue_minor,
        refundsMinor: r.refunds_minor,
      }));
    },

    async topProducts(query) {
      let select = db
        .selectFrom("product_sales")
        .selectAll()
        .orderBy(query.rankBy === "revenue" ? "revenue_minor" : "units", "desc")
        .orderBy(query.rankBy === "revenue" ? "units" : "revenue_minor", "desc")
        .orderBy("product_id")
        .orderBy("currency")
        .limit(query.limit);
      if (query.currency !== undefined) select = select.where("currency", "=", query.currency);
      return (await select.execute()).map((r) => ({
        productId: r.product_id,
        sku: r.sku,
        name: r.name,
        currency: r.currency,
        units: r.units,
        revenueMinor: r.revenue_minor,
      }));
    },

    async cancellationReasons() {
      const rows = await db
        .selectFrom("cancellation_reasons")
        .select(["reason", "count"])
        .orderBy("count", "desc")
        .orderBy("reason")
        .execute();
      return rows.map((r) => ({ reason: r.reason, count: r.count }));
    },

    async eventLag(samples) {
      const recent = db
        .selectFrom("order_facts")
        .select("confirmed_lag_ms")
        .where("confirmed_lag_ms", "is not", null)
        .orderBy("confirmed_applied_at", "desc")
        .limit(samples)
        .as("recent");
      const row = await db
        .selectFrom(recent)
        .select([
          sql<number>`count(*)::int8`.as("count"),
          sql<number | null>`percentile_cont(0.5) within group (order by confirmed_lag_ms)`.as("p50"),
          sql<number | null>`percentile_cont(0.99) within group (order by confirmed_lag_ms)`.as("p99"),
          sql<number | null>`max(confirmed_lag_ms)`.as("max"),
        ])
        .executeTakeFirstOrThrow();
      return { count: row.count, p50Ms: row.p50 ?? 0, p99Ms: row.p99 ?? 0, maxMs: row.max ?? 0 };
    },

    async eventsProcessed() {
      const row = await db
        .selectFrom("inbox")
        .select(sql<number>`count(*)::int8`.as("events"))
        .where("consumer", "=", ANALYTICS_INBOX_CONSUMER)
        .executeTakeFirstOrThrow();
      return row.events;
    },
  };
}
