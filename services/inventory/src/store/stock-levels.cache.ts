import { LRUCache } from "lru-cache";
import type { InventoryStore, StockLevel } from "../domain/reservation.ts";

/** Settings of the stock-level cache (`INVENTORY_LEVEL_CACHE_*`). */
export interface StockLevelCacheOptions {
  /** How long a level may be served from memory, in ms; 0 turns the cache off. */
  readonly ttlMs: number;
  /** Most SKUs held; the least recently used go first. */
  readonly maxEntries: number;
}

/** A cached answer for one SKU: its level, or `null` when inventory does not know the SKU. */
type Cached = StockLevel | null;

/**
 * Wraps `store` so that `getLevels` — asked on every product page, listing and search — is
 * answered from this process's memory (read-through, `lru-cache` with a TTL), and every write
 * through the same store invalidates what it touched:
 * - `reserve`, `transition` and `setOnHand` drop the SKUs they touch once their transaction has
 *   ended, committed or not (a failed `transition` drops everything: its SKUs are unknown), and
 * - a global generation, bumped when a write starts and again when it ends, keeps a read that
 *   overlapped a write from filling the cache with what it read before the commit.
 * So within one inventory process a read never goes back in time after a write it saw answered.
 * Writes made elsewhere (another inventory replica, SQL by hand) show after at most `ttlMs` — the
 * same bound a reservation's expiry has, which changes `available` without a write here.
 * Reservations themselves never read the cache: the conditional UPDATE in `reserve` is the
 * authority on stock, so a stale level can only show a product page a number off for `ttlMs`.
 */
export function withStockLevelCache(store: InventoryStore, options: StockLevelCacheOptions): InventoryStore {
  if (options.ttlMs <= 0) return store;
  const cache = new LRUCache<string, { level: Cached }>({ max: options.maxEntries, ttl: options.ttlMs });
  let generation = 0;

  /** Runs `write`, then drops what it `touched` (given its result, or undefined when it threw). */
  const invalidating = async <T>(
    write: () => Promise<T>,
    touched: (result: T | undefined) => readonly string[] | "all",
  ): Promise<T> => {
    generation += 1;
    let result: T | undefined;
    try {
      result = await write();
      return result;
    } finally {
      generation += 1;
      const skus = touched(result);
      if (skus === "all") cache.clear();
      else for (const sku of skus) cache.delete(sku);
    }
  };

  return {
    ...store,

    async getLevels(skus) {
      const levels: StockLevel[] = [];
      const misses: string[] = [];
      for (const sku of skus) {
        const hit = cache.get(sku);
        if (hit === undefined) misses.push(sku);
        else if (hit.level !== null) levels.push(hit.level);
      }
      if (misses.length === 0) return levels;
      const seen = generation;
      const loaded = await store.getLevels(misses);
      levels.push(...loaded);
      if (seen === generation) {
        const found = new Map(loaded.map((level) => [level.sku, level]));
        for (const sku of misses) cache.set(sku, { level: found.get(sku) ?? null });
      }
      return levels;
    },

    setOnHand: (entries) =>
      invalidating(
        () => store.setOnHand(entries),
        () => entries.map((e) => e.sku),
      ),

    reserve: (orderId, lines, expiresAt) =>
      invalidating(
        () => store.reserve(orderId, lines, expiresAt),
        () => lines.map((l) => l.sku),
      ),

    transition: (orderId, from, to) =>
      invalidating(
        () => store.transition(orderId, from, to),
        (moved) => (moved === undefined ? "all" : moved.lines.map((l) => l.sku)),
      ),
  };
}
