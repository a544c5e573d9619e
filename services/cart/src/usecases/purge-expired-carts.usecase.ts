import type { CartStore } from "../domain/ports.ts";

/**
 * Housekeeping for the sweeper: deletes up to `batchSize` carts that outlived their TTL and
 * returns how many. Reads already ignore expired carts; this only reclaims their rows.
 */
export function purgeExpiredCarts(store: CartStore) {
  return (batchSize = 500): Promise<number> => store.deleteExpired(batchSize);
}
