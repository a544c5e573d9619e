import { sql, type Generated, type Kysely, type Selectable, type Transaction } from "kysely";
import { failedPrecondition, prepareQueries, prepareQuery, standInsOf } from "@souk/platform";
import {
  stockDelta,
  type InventoryStore,
  type Reservation,
  type ReservationLine,
  type ReservationStatus,
  type StockLevel,
} from "../domain/reservation.ts";

interface StockTable {
  sku: string;
  on_hand: number;
  reserved: number;
  updated_at: Generated<Date>;
}
interface ReservationsTable {
  order_id: string;
  status: ReservationStatus;
  expires_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
interface ReservationLinesTable {
  order_id: string;
  sku: string;
  quantity: number;
}
/** The `inventory` schema as Kysely sees it. */
export interface InventoryDatabase {
  stock: StockTable;
  reservations: ReservationsTable;
  reservation_lines: ReservationLinesTable;
}

type Db = Kysely<InventoryDatabase> | Transaction<InventoryDatabase>;

const reservationOfOrder = prepareQuery((db: Kysely<InventoryDatabase>, p: { orderId: string }) =>
  db.selectFrom("reservations").selectAll().where("order_id", "=", p.orderId),
);

/** A reservation's lines, by SKU. */
const linesOfReservation = prepareQuery((db: Kysely<InventoryDatabase>, p: { orderId: string }) =>
  db.selectFrom("reservation_lines").select(["sku", "quantity"]).where("order_id", "=", p.orderId).orderBy("sku"),
);

const claimReservation = prepareQuery((db: Kysely<InventoryDatabase>, p: { orderId: string; expiresAt: Date }) =>
  db
    .insertInto("reservations")
    .values({ order_id: p.orderId, status: "HELD", expires_at: p.expiresAt })
    .onConflict((oc) => oc.column("order_id").doNothing())
    .returningAll(),
);

/**
 * Conditional increment of a SKU's reserved count: the row lock serializes concurrent buyers and
 * the WHERE clause refuses to go above what is on hand, so stock is never oversold.
 */
const reserveStock = prepareQuery((db: Kysely<InventoryDatabase>, p: { sku: string; quantity: number }) =>
  db
    .updateTable("stock")
    .set({ reserved: sql`reserved + ${p.quantity}`, updated_at: sql`now()` })
    .where("sku", "=", p.sku)
    .where(sql<boolean>`on_hand - reserved >= ${p.quantity}`),
);

const insertReservationLines = prepareQueries(
  (db: Kysely<InventoryDatabase>, p: { orderId: string; lines: readonly ReservationLine[] }, count: number) =>
    db
      .insertInto("reservation_lines")
      .values(
        standInsOf(p.lines, count).map((line) => ({ order_id: p.orderId, sku: line.sku, quantity: line.quantity })),
      ),
);

const moveReservation = prepareQuery(
  (db: Kysely<InventoryDatabase>, p: { orderId: string; from: ReservationStatus; to: ReservationStatus }) =>
    db
      .updateTable("reservations")
      .set({ status: p.to, updated_at: sql`now()` })
      .where("order_id", "=", p.orderId)
      .where("status", "=", p.from)
      .returningAll(),
);

const adjustStock = prepareQuery(
  (db: Kysely<InventoryDatabase>, p: { sku: string; onHand: number; reserved: number }) =>
    db
      .updateTable("stock")
      .set({ on_hand: sql`on_hand + ${p.onHand}`, reserved: sql`reserved + ${p.reserved}`, updated_at: sql`now()` })
      .where("sku", "=", p.sku),
);

async function loadReservation(db: Db, orderId: string): Promise<Reservation | undefined> {
  const row = await reservationOfOrder.first(db, { orderId });
  if (row === undefined) return undefined;
  return toReservation(row, await linesOfReservation.rows(db, { orderId }));
}

function toReservation(row: Selectable<ReservationsTable>, lines: ReservationLine[]): Reservation {
  return { orderId: row.order_id, status: row.status, expiresAt: row.expires_at, lines };
}

/** Inventory's store port on PostgreSQL (PGlite or a server) through Kysely. */
export function createInventoryStore(db: Kysely<InventoryDatabase>): InventoryStore {
  return {
    async getLevels(skus) {
      if (skus.length === 0) return [];
      const rows = await db
        .selectFrom("stock")
        .select(["sku", "on_hand", "reserved"])
        .where("sku", "in", [...skus])
        .execute();
      return rows.map((r): StockLevel => ({ sku: r.sku, onHand: r.on_hand, reserved: r.reserved }));
    },

    async setOnHand(entries) {
      if (entries.length === 0) return;
      await db
        .transaction()
        .execute(async (trx) => {
          for (let i = 0; i < entries.length; i += 1000) {
            const chunk = entries.slice(i, i + 1000);
            await trx
              .insertInto("stock")
              .values(chunk.map((e) => ({ sku: e.sku, on_hand: e.onHand, reserved: 0 })))
              .onConflict((oc) =>
                oc.column("sku").doUpdateSet({ on_hand: (eb) => eb.ref("excluded.on_hand"), updated_at: sql`now()` }),
              )
              .execute();
          }
        })
        .catch((error: unknown) => {
          if (String((error as Error).message).includes("stock_reserved_within_on_hand")) {
            throw failedPrecondition("INVENTORY_BELOW_RESERVED", "on hand cannot drop below what is reserved");
          }
          throw error;
        });
    },

    async reserve(orderId, lines, expiresAt) {
      return db.transaction().execute(async (trx) => {
        const claimed = await claimReservation.first(trx, { orderId, expiresAt });
        if (claimed === undefined) {
          const existing = await loadReservation(trx, orderId);
          if (existing === undefined) throw new Error(`reservation ${orderId} vanished`);
          return existing;
        }
        const short: string[] = [];
        for (const line of lines) {
          const updated = await reserveStock.affected(trx, { sku: line.sku, quantity: line.quantity });
          if (updated === 0) short.push(line.sku);
        }
        if (short.length > 0) {
          throw failedPrecondition("INVENTORY_INSUFFICIENT_STOCK", `not enough stock for ${short.join(", ")}`);
        }
        await insertReservationLines(lines.length).affected(trx, { orderId, lines });
        return toReservation(claimed, [...lines]);
      });
    },

    find: (orderId) => loadReservation(db, orderId),

    async transition(orderId, from, to) {
      const delta = stockDelta(from, to);
      return db.transaction().execute(async (trx) => {
        const moved = await moveReservation.first(trx, { orderId, from, to });
        if (moved === undefined) return undefined;
        const lines = await linesOfReservation.rows(trx, { orderId });
        for (const line of lines) {
          await adjustStock.affected(trx, {
            sku: line.sku,
            onHand: delta.onHand * line.quantity,
            reserved: delta.reserved * line.quantity,
          });
        }
        return toReservation(moved, lines);
      });
    },

    async findExpired(now, limit) {
      const rows = await db
        .selectFrom("reservations")
        .select("order_id")
        .where("status", "=", "HELD")
        .where("expires_at", "<=", now)
        .orderBy("expires_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.order_id);
    },
  };
}
