import { setTimeout as sleep } from "node:timers/promises";
import {
  isRedisUnavailableError,
  newId,
  redisScript,
  unavailable,
  type Clock,
  type IdGenerator,
  type Redis,
} from "@souk/platform";
import type { CartItem } from "../domain/cart.ts";
import type { CartStore } from "../domain/ports.ts";

/** Settings of the Redis cart store. */
export interface RedisCartStoreOptions {
  /** A cart not written for this many seconds is gone (`CART_TTL_SECONDS`): the keys' EXPIRE. */
  readonly ttlSeconds: number;
  /** Source of "now" for `addedAt` of new lines (expiry itself is Redis's clock). */
  readonly clock: Clock;
  /** Source of the version tokens written with every change (default: UUIDv7 `newId`). */
  readonly newVersion?: IdGenerator;
}

/**
 * Most read-check-write rounds one write makes before giving up: a round is lost only when
 * another write to the same cart committed in between, so this is only reached by a cart under
 * a sustained storm of concurrent writes.
 */
const MAX_WRITE_ROUNDS = 50;

/**
 * The two keys of `userId`'s cart. The `{userId}` hash tag puts both in one Redis Cluster slot,
 * so one script may touch both.
 * - `cart:{userId}`: hash productId → quantity (what the cart holds);
 * - `cart:{userId}:lines`: hash of the cart's bookkeeping: `version` (a token replaced by every
 *   write, for compare-and-set), `seq` (a counter) and `line:<productId>` → `<seq> <addedAtMs>`
 *   (the order lines were first added, and when).
 */
function keysOf(userId: string): [quantities: string, lines: string] {
  return [`cart:{${userId}}`, `cart:{${userId}}:lines`];
}

/**
 * Compare-and-set of one line: applies the change only when the cart's version is still the
 * one the caller read (ARGV[1]), so the caller's check ran on exactly the state being changed.
 * KEYS: quantities, lines. ARGV: expected version ('' = no cart), new version, product id,
 * operation (add | set | remove), quantity, addedAtMs of a new line ('' when the line exists),
 * TTL in seconds. Returns 1 when applied, 0 when the cart changed since it was read.
 */
const WRITE_LINE = redisScript(`
if (redis.call('HGET', KEYS[2], 'version') or '') ~= ARGV[1] then return 0 end
local field = 'line:' .. ARGV[3]
if ARGV[4] == 'remove' then
  redis.call('HDEL', KEYS[1], ARGV[3])
  redis.call('HDEL', KEYS[2], field)
else
  if ARGV[4] == 'add' then
    redis.call('HINCRBY', KEYS[1], ARGV[3], ARGV[5])
  else
    redis.call('HSET', KEYS[1], ARGV[3], ARGV[5])
  end
  if ARGV[6] ~= '' then
    local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
    redis.call('HSET', KEYS[2], field, seq .. ' ' .. ARGV[6])
  end
end
redis.call('HSET', KEYS[2], 'version', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return 1
`);

/** A cart as read: its lines in the order first added, and the version to compare-and-set against. */
interface CartSnapshot {
  readonly items: CartItem[];
  readonly version: string;
}

/** A change decided on a snapshot: what to send to `WRITE_LINE`, and the cart it produces. */
interface PlannedWrite {
  readonly operation: "add" | "set" | "remove";
  readonly quantity: number;
  /** Set for a line the write creates. */
  readonly addedAt?: Date;
  readonly items: CartItem[];
}

/** Redis's answer as the cart store's error: unreachable → unavailable CART_STORE_UNAVAILABLE. */
async function guarded<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (isRedisUnavailableError(error)) {
      throw unavailable("CART_STORE_UNAVAILABLE", "the cart store is unavailable; retry later", error);
    }
    throw error;
  }
}

function snapshotOf(quantities: Record<string, string>, lines: Record<string, string>): CartSnapshot {
  const ordered = Object.entries(quantities).map(([productId, quantity]) => {
    const [seq, addedAtMs] = (lines[`line:${productId}`] ?? "").split(" ");
    return {
      seq: seq === undefined || seq === "" ? Number.MAX_SAFE_INTEGER : Number(seq),
      item: { productId, quantity: Number(quantity), addedAt: new Date(Number(addedAtMs ?? 0)) },
    };
  });
  ordered.sort((a, b) => a.seq - b.seq);
  return { items: ordered.map((o) => o.item), version: lines["version"] ?? "" };
}

function hashReply(reply: [error: Error | null, result: unknown] | undefined): Record<string, string> {
  if (reply === undefined) throw new Error("redis transaction returned too few replies");
  const [error, result] = reply;
  if (error !== null) throw error;
  return result as Record<string, string>;
}

/**
 * The cart store port on Redis: two hashes per cart (see `keysOf`) whose native TTL — refreshed
 * with EXPIRE by every write, not by reads — replaces the PostgreSQL store's `expires_at`.
 *
 * Writes keep the PostgreSQL store's semantics (the caller's check runs on exactly the cart
 * being committed; a refused write changes nothing; no increment is lost) with optimistic
 * concurrency instead of a row lock: read the cart and its version (MULTI), build the line and
 * run the check in process, then apply it with a compare-and-set Lua script (HINCRBY for an
 * add, HSET for an update) that refuses if any other write reached the cart meanwhile — in
 * which case the round starts again from a fresh read. So concurrent adds each add their
 * units, and none can take a line past the stock, the per-line maximum or the line limit.
 *
 * Order of lines: a per-cart sequence. `addedAt` is the injected clock's time of the first add.
 * `deleteExpired` has nothing to do (Redis deletes expired keys itself) and returns 0.
 *
 * @throws SoukError unavailable CART_STORE_UNAVAILABLE from every method when Redis cannot be
 *   reached; unavailable CART_STORE_CONTENDED when a write lost `MAX_WRITE_ROUNDS` rounds in a row.
 */
export function createRedisCartStore(redis: Redis, options: RedisCartStoreOptions): CartStore {
  const newVersion = options.newVersion ?? newId;

  const read = async (userId: string): Promise<CartSnapshot> => {
    const [quantities, lines] = keysOf(userId);
    const replies = await guarded(redis.multi().hgetall(quantities).hgetall(lines).exec());
    if (replies === null) throw new Error("redis transaction was aborted");
    return snapshotOf(hashReply(replies[0]), hashReply(replies[1]));
  };

  /**
   * Read-plan-compare-and-set rounds until one applies. `plan` sees the cart as read and may
   * throw (a refused write: nothing was written) or return undefined (nothing to do).
   */
  const write = async (
    userId: string,
    productId: string,
    plan: (items: CartItem[]) => PlannedWrite | undefined,
  ): Promise<CartItem[] | undefined> => {
    for (let round = 1; round <= MAX_WRITE_ROUNDS; round += 1) {
      const snapshot = await read(userId);
      const planned = plan(snapshot.items);
      if (planned === undefined) return undefined;
      const applied = await guarded(
        WRITE_LINE.run(redis, keysOf(userId), [
          snapshot.version,
          newVersion(),
          productId,
          planned.operation,
          planned.quantity,
          planned.addedAt === undefined ? "" : planned.addedAt.getTime(),
          options.ttlSeconds,
        ]),
      );
      if (applied === 1) return planned.items;
      // Lost the race to another write of this cart: a short random pause spreads the retries.
      await sleep(Math.random() * Math.min(round, 10));
    }
    throw unavailable("CART_STORE_CONTENDED", "the cart is being changed by too many requests at once; retry");
  };

  return {
    async getItems(userId) {
      return (await read(userId)).items;
    },

    async addQuantity(userId, productId, quantity, check) {
      const now = options.clock();
      const items = await write(userId, productId, (current) => {
        const existing = current.find((item) => item.productId === productId);
        const line: CartItem =
          existing === undefined
            ? { productId, quantity, addedAt: now }
            : { ...existing, quantity: existing.quantity + quantity };
        const items =
          existing === undefined ? [...current, line] : current.map((item) => (item === existing ? line : item));
        check({ items, line, created: existing === undefined });
        return { operation: "add", quantity, items, ...(existing === undefined ? { addedAt: now } : {}) };
      });
      if (items === undefined) throw new Error("an add always writes");
      return items;
    },

    async setQuantity(userId, productId, quantity, check) {
      return write(userId, productId, (current) => {
        const existing = current.find((item) => item.productId === productId);
        if (existing === undefined) return undefined;
        const line: CartItem = { ...existing, quantity };
        const items = current.map((item) => (item === existing ? line : item));
        check({ items, line, created: false });
        return { operation: "set", quantity, items };
      });
    },

    async removeItem(userId, productId) {
      return write(userId, productId, (current) => {
        if (!current.some((item) => item.productId === productId)) return undefined;
        return { operation: "remove", quantity: 0, items: current.filter((item) => item.productId !== productId) };
      });
    },

    async clear(userId) {
      await guarded(redis.del(...keysOf(userId)));
    },

    async deleteExpired() {
      return 0;
    },
  };
}
