import type { Generated, Kysely, Transaction } from "kysely";
import { prepareQuery, type Clock } from "@souk/platform";
import type { CartItem } from "../domain/cart.ts";
import type { CartStore } from "../domain/ports.ts";

interface CartsTable {
  user_id: string;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}
interface CartLinesTable {
  user_id: string;
  product_id: string;
  seq: Generated<number>;
  quantity: number;
  added_at: Date;
  updated_at: Date;
}
/** The `cart` schema as Kysely sees it. */
export interface CartDatabase {
  carts: CartsTable;
  cart_lines: CartLinesTable;
}

/** Settings of the PostgreSQL cart store. */
export interface CartStoreOptions {
  /** A cart not written for this many seconds is gone (`CART_TTL_SECONDS`). */
  readonly ttlSeconds: number;
  /** Source of "now" for timestamps and expiry (injected so tests can move time). */
  readonly clock: Clock;
}

type Trx = Transaction<CartDatabase>;

const linesOfCart = prepareQuery((db: Kysely<CartDatabase>, p: { userId: string }) =>
  db
    .selectFrom("cart_lines")
    .select(["product_id", "quantity", "added_at"])
    .where("user_id", "=", p.userId)
    .orderBy("seq"),
);

/** The lines of a cart that has not expired at `now`, in the order they were added. */
const linesOfLiveCart = prepareQuery((db: Kysely<CartDatabase>, p: { userId: string; now: Date }) =>
  db
    .selectFrom("cart_lines")
    .innerJoin("carts", "carts.user_id", "cart_lines.user_id")
    .select(["cart_lines.product_id", "cart_lines.quantity", "cart_lines.added_at"])
    .where("carts.user_id", "=", p.userId)
    .where("carts.expires_at", ">", p.now)
    .orderBy("cart_lines.seq"),
);

const dropExpiredCart = prepareQuery((db: Kysely<CartDatabase>, p: { userId: string; now: Date }) =>
  db.deleteFrom("carts").where("user_id", "=", p.userId).where("expires_at", "<=", p.now),
);

/** Creates the cart, or refreshes its expiry (and locks its row either way). */
const upsertCart = prepareQuery((db: Kysely<CartDatabase>, p: CartsTable) =>
  db
    .insertInto("carts")
    .values({ user_id: p.user_id, created_at: p.created_at, updated_at: p.updated_at, expires_at: p.expires_at })
    .onConflict((oc) =>
      oc.column("user_id").doUpdateSet({
        updated_at: (eb) => eb.ref("excluded.updated_at"),
        expires_at: (eb) => eb.ref("excluded.expires_at"),
      }),
    ),
);

/** Adds units to a line (atomic increment: concurrent adds of the same product each add theirs). */
const addToLine = prepareQuery(
  (db: Kysely<CartDatabase>, p: { userId: string; productId: string; quantity: number; now: Date }) =>
    db
      .insertInto("cart_lines")
      .values({ user_id: p.userId, product_id: p.productId, quantity: p.quantity, added_at: p.now, updated_at: p.now })
      .onConflict((oc) =>
        oc.columns(["user_id", "product_id"]).doUpdateSet({
          quantity: (eb) => eb("cart_lines.quantity", "+", eb.ref("excluded.quantity")),
          updated_at: (eb) => eb.ref("excluded.updated_at"),
        }),
      )
      .returning(["product_id", "quantity", "added_at"]),
);

async function itemsOf(db: Kysely<CartDatabase> | Trx, userId: string): Promise<CartItem[]> {
  const rows = await linesOfCart.rows(db, { userId });
  return rows.map((r) => ({ productId: r.product_id, quantity: r.quantity, addedAt: r.added_at }));
}

/** Deletes `userId`'s cart when it has expired, so a write never revives stale lines. */
async function dropIfExpired(trx: Trx, userId: string, now: Date): Promise<void> {
  await dropExpiredCart.affected(trx, { userId, now });
}

/**
 * The cart store port on PostgreSQL (PGlite or a server) through Kysely.
 *
 * Tables: `carts` (one row per live cart, `expires_at` = last write + TTL) and `cart_lines`
 * keyed (user_id, product_id). Every write runs in one transaction that first deletes the cart
 * if it has expired, then locks the cart's row (upsert or `for update`) — so writes to one cart
 * are serialized in the same lock order (cart row, then line) and cannot deadlock — changes the
 * line, refreshes `expires_at`, runs the caller's check and commits. Reads ignore expired carts;
 * `deleteExpired` removes them for good.
 */
export function createCartStore(db: Kysely<CartDatabase>, options: CartStoreOptions): CartStore {
  const ttlMs = options.ttlSeconds * 1000;
  const expiryFrom = (now: Date) => new Date(now.getTime() + ttlMs);

  /** Drops an expired cart, then locks the live one; false when there is no live cart. */
  const lockLiveCart = async (trx: Trx, userId: string, now: Date): Promise<boolean> => {
    await dropIfExpired(trx, userId, now);
    const cart = await trx
      .selectFrom("carts")
      .select("user_id")
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    return cart !== undefined;
  };

  const touch = async (trx: Trx, userId: string, now: Date): Promise<void> => {
    await trx
      .updateTable("carts")
      .set({ updated_at: now, expires_at: expiryFrom(now) })
      .where("user_id", "=", userId)
      .execute();
  };

  return {
    async getItems(userId) {
      const rows = await linesOfLiveCart.rows(db, { userId, now: options.clock() });
      return rows.map((r) => ({ productId: r.product_id, quantity: r.quantity, addedAt: r.added_at }));
    },

    async addQuantity(userId, productId, quantity, check) {
      const now = options.clock();
      return db.transaction().execute(async (trx) => {
        await dropIfExpired(trx, userId, now);
        await upsertCart.affected(trx, {
          user_id: userId,
          created_at: now,
          updated_at: now,
          expires_at: expiryFrom(now),
        });
        const line = await addToLine.first(trx, { userId, productId, quantity, now });
        if (line === undefined) throw new Error(`cart line ${userId}/${productId} was not written`);
        const items = await itemsOf(trx, userId);
        check({
          items,
          line: { productId: line.product_id, quantity: line.quantity, addedAt: line.added_at },
          // Quantities are ≥ 1, so the line held nothing before exactly when it now holds what was added.
          created: line.quantity === quantity,
        });
        return items;
      });
    },

    async setQuantity(userId, productId, quantity, check) {
      const now = options.clock();
      return db.transaction().execute(async (trx) => {
        if (!(await lockLiveCart(trx, userId, now))) return undefined;
        const line = await trx
          .updateTable("cart_lines")
          .set({ quantity, updated_at: now })
          .where("user_id", "=", userId)
          .where("product_id", "=", productId)
          .returning(["product_id", "quantity", "added_at"])
          .executeTakeFirst();
        if (line === undefined) return undefined;
        await touch(trx, userId, now);
        const items = await itemsOf(trx, userId);
        check({
          items,
          line: { productId: line.product_id, quantity: line.quantity, addedAt: line.added_at },
          created: false,
        });
        return items;
      });
    },

    async removeItem(userId, productId) {
      const now = options.clock();
      return db.transaction().execute(async (trx) => {
        if (!(await lockLiveCart(trx, userId, now))) return undefined;
        const removed = await trx
          .deleteFrom("cart_lines")
          .where("user_id", "=", userId)
          .where("product_id", "=", productId)
          .executeTakeFirst();
        if (removed.numDeletedRows === 0n) return undefined;
        await touch(trx, userId, now);
        return itemsOf(trx, userId);
      });
    },

    async clear(userId) {
      await db.deleteFrom("carts").where("user_id", "=", userId).execute();
    },

    async deleteExpired(limit) {
      const now = options.clock();
      const result = await db
        .deleteFrom("carts")
        .where("user_id", "in", (eb) =>
          eb.selectFrom("carts").select("user_id").where("expires_at", "<=", now).orderBy("expires_at").limit(limit),
        )
        // Re-checked on the row itself: a cart written since the subquery ran is not deleted.
        .where("expires_at", "<=", now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
