import type { CartItem, Product, WrittenLine } from "./cart.ts";

/**
 * Runs inside a write, after the line changed and before it is committed. Throwing rolls the
 * write back and the error reaches the caller unchanged.
 */
export type WriteCheck = (written: WrittenLine) => void;

/**
 * Where carts live: one cart per user, a line per product. TTL semantics: a cart not written
 * for the store's TTL (`CART_TTL_SECONDS`) is gone — reads ignore it and the next write starts
 * from an empty cart. Every write refreshes the TTL of the whole cart. Writes to one user's cart
 * are serialized, so no increment is lost.
 *
 * Implemented on PostgreSQL in `store/cart.store.ts` (expires_at column, row lock) and on Redis
 * in `store/cart.redis-store.ts` (native key expiry, compare-and-set script).
 */
export interface CartStore {
  /** The lines of `userId`'s live cart in the order first added; empty when there is no cart or it expired. */
  getItems(userId: string): Promise<CartItem[]>;
  /**
   * Adds `quantity` units of `productId` atomically (creating the cart and the line as needed,
   * summing with an existing line), runs `check` on the result and commits unless it throws.
   * @returns every line of the cart after the write.
   */
  addQuantity(userId: string, productId: string, quantity: number, check: WriteCheck): Promise<CartItem[]>;
  /**
   * Sets the quantity of an existing line, runs `check` on the result and commits unless it throws.
   * @returns every line of the cart after the write, or undefined when the line is not in the cart.
   */
  setQuantity(userId: string, productId: string, quantity: number, check: WriteCheck): Promise<CartItem[] | undefined>;
  /**
   * Deletes a line.
   * @returns every line of the cart after the write, or undefined when the line was not in the cart.
   */
  removeItem(userId: string, productId: string): Promise<CartItem[] | undefined>;
  /** Deletes `userId`'s cart. A no-op when there is none. */
  clear(userId: string): Promise<void>;
  /** Deletes up to `limit` expired carts; returns how many it deleted (housekeeping only). */
  deleteExpired(limit: number): Promise<number>;
}

/** Products and their current prices (the catalog service). */
export interface ProductCatalog {
  /** The products that exist among `ids`, in no particular order (unknown ids are left out). */
  getProducts(ids: readonly string[]): Promise<Product[]>;
}

/** Stock that can still be sold (the inventory service). */
export interface StockAvailability {
  /** Available units (on hand − reserved) of each SKU inventory knows among `skus`; unknown SKUs are absent. */
  available(skus: readonly string[]): Promise<Map<string, number>>;
}
