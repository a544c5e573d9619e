import { sql, type Generated, type Kysely, type Selectable, type Transaction } from "kysely";
import { failedPrecondition } from "@souk/platform";
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

async function loadReservation(db: Db, orderId: string): Promise<Reservation | undefined> {
  const row = await db.selectFrom("reservations").selectAll().where("order_id", "=", orderId).executeTakeFirst();
  if (row === undefined) return undefined;
  return toReservation(
    row,
    await db
      .selectFrom("reservation_lines")
      .select(["sku", "quantity"])
      .where("order_id", "=", orderId)
      .orderBy("sku")
      .execute(),
  );
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
        const claimed = await trx
          .insertInto("reservations")
          .values({ order_id: orderId, status: "HELD", expires_at: expiresAt })
          .onConflict((oc) => oc.column("order_id").doNothing())
          .returningAll()
          .executeTakeFirst();
        if (claimed === undefined) {
          const existing = await loadReservation(trx, orderId);
          if (existing === undefined) throw new Error(`reservation ${orderId} vanished`);
          return existing;
        }
        const short: string[] = [];
        for (const line of lines) {
          // Conditional decrement: the row lock serializes concurrent buyers and the WHERE
          // clause refuses to go below zero, so stock is never oversold.
          const updated = await trx
            .updateTable("stock")
            .set({ reserved: sql`reserved + ${line.quantity}`, updated_at: sql`now()` })
            .where("sku", "=", line.sku)
            .where(sql<boolean>`on_hand - reserved >= ${line.quantity}`)
            .executeTakeFirst();
          if (updated.numUpdatedRows === 0n) short.push(line.sku);
        }
        if (short.length > 0) {
          throw failedPrecondition("INVENTORY_INSUFFICIENT_STOCK", `not enough stock for ${short.join(", ")}`);
        }
        await trx
          .insertInto("reservation_lines")
          .values(lines.map((l) => ({ order_id: orderId, sku: l.sku, quantity: l.quantity })))
          .execute();
        return toReservation(claimed, [...lines]);
      });
    },

    find: (orderId) => loadReservation(db, orderId),

    async transition(orderId, from, to) {
      const delta = stockDelta(from, to);
      return db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable("reservations")
          .set({ status: to, updated_at: sql`now()` })
          .where("order_id", "=", orderId)
          .where("status", "=", from)
          .returningAll()
          .executeTakeFirst();
        if (moved === undefined) return undefined;
        const lines = await trx
          .selectFrom("reservation_lines")
          .select(["sku", "quantity"])
          .where("order_id", "=", orderId)
          .orderBy("sku")
          .execute();
        for (const line of lines) {
          await trx
            .updateTable("stock")
            .set({
              on_hand: sql`on_hand + ${delta.onHand * line.quantity}`,
              reserved: sql`reserved + ${delta.reserved * line.quantity}`,
              updated_at: sql`now()`,
            })
            .where("sku", "=", line.sku)
            .execute();
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
