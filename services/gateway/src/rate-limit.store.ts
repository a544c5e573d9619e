import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { Redis } from "@souk/platform";

/**
 * Adds ARGV[2] to the fixed-window counter KEYS[1] and answers `{ count, ms left in the window }`;
 * the add that creates the counter starts its window of ARGV[1] ms (as does one that finds a
 * counter without an expiry). The Lua of @fastify/rate-limit's RedisStore, with INCRBY for INCR.
 */
const ADD_LUA = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if count == tonumber(ARGV[2]) or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** A client with the command `ADD_LUA` defines (ioredis `defineCommand`: EVALSHA, EVAL once). */
type RedisWithAdd = Redis & {
  soukRateLimitAdd(key: string, windowMs: number, amount: number): Promise<[number, number]>;
};

/** How often counters whose window ended are dropped, in ms. */
const PRUNE_INTERVAL_MS = 1_000;

/** One key's window as this process knows it. */
interface Counter {
  /** The window's count in Redis at its last answer, every replica's requests included. */
  count: number;
  /** Requests counted here and not yet sent to Redis. */
  pending: number;
  /** Requests sent to Redis whose answer has not come back. */
  inFlight: number;
  /** When the window ends (`Date.now()` ms), from Redis's last answer; 0 before the first. */
  resetAtMs: number;
  /** The window's length, in ms. */
  windowMs: number;
}

/** What @fastify/rate-limit's `incr` answers: the window's count with this request, and ms left. */
interface RateLimitAnswer {
  readonly current: number;
  readonly ttl: number;
}

/** Settings of `syncedRateLimitStore`. */
export interface SyncedRateLimitOptions {
  /** The counters' Redis, shared by every replica. */
  readonly redis: Redis;
  /** Prefix of every counter key (route-level limits append `METHOD/url-`). */
  readonly prefix: string;
  /** How often counts kept here are added to Redis, in ms (> 0). */
  readonly syncIntervalMs: number;
}

/**
 * Fixed-window rate-limit counters in Redis, shared by every gateway replica, that cost a Redis
 * call per request only near the limit: Kong's rate-limiting `sync_rate` (local counters pushed
 * to the shared store every interval), made exact where it matters.
 *
 * A request whose key has no window here yet, whose window has ended, or whose count (Redis's
 * last answer, plus what this process counted since) would pass half its limit is added to Redis
 * at once, with whatever this process still held for that key, and answered with Redis's count —
 * as @fastify/rate-limit's own RedisStore does for every request. Any other request is counted
 * here, answered at once with that count, and added to Redis with the key's other requests at the
 * next sync, every `syncIntervalMs` (one call per key that has any). Below half its limit a client
 * cannot be refused anyway; past half, every request is counted in Redis as it comes. What the
 * store gives up: a client refused on one replica can still get up to half its limit through each
 * other replica whose count is stale (it learns the count only from its own calls to Redis); and
 * `X-RateLimit-Remaining` below half the limit counts other replicas' requests as of their last
 * sync.
 *
 * A Redis error on a request counted at once goes to @fastify/rate-limit (which lets the request
 * through with `skipOnError`); a failed sync keeps its counts for the next one, until their window
 * ends. `continueExceeding` and `exponentialBackoff` are not supported (Souk uses neither).
 *
 * @returns `Store`, the class to pass as @fastify/rate-limit's `store` option (one instance per
 *   route-level limit, all sharing the counters and the sync), and `close()`, which stops the sync
 *   after a last one (bounded by the Redis client's command timeout) and never throws.
 */
export function syncedRateLimitStore(options: SyncedRateLimitOptions): {
  Store: FastifyRateLimitStoreCtor;
  close: () => Promise<void>;
} {
  const redis = options.redis as RedisWithAdd;
  if (typeof redis.soukRateLimitAdd !== "function") {
    redis.defineCommand("soukRateLimitAdd", { numberOfKeys: 1, lua: ADD_LUA });
  }
  const counters = new Map<string, Counter>();
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let prunedAtMs = 0;

  /** Sends `amount` of `key`'s requests to Redis; the answer becomes the counter's count and window. */
  const add = async (key: string, counter: Counter, amount: number): Promise<RateLimitAnswer> => {
    counter.inFlight += amount;
    try {
      const [count, ttl] = await redis.soukRateLimitAdd(key, counter.windowMs, amount);
      counter.count = count;
      counter.resetAtMs = Date.now() + ttl;
      return { current: count, ttl };
    } finally {
      counter.inFlight -= amount;
    }
  };

  const sync = async (): Promise<void> => {
    timer = undefined;
    const nowMs = Date.now();
    const sends: Promise<unknown>[] = [];
    for (const key of dirty) {
      const counter = counters.get(key);
      dirty.delete(key);
      if (counter === undefined || counter.pending === 0) continue;
      const amount = counter.pending;
      counter.pending = 0;
      if (nowMs >= counter.resetAtMs) continue; // its window is over: nothing to add to
      sends.push(
        add(key, counter, amount).catch(() => {
          counter.pending += amount; // kept for the next sync, while the window lasts
          dirty.add(key);
        }),
      );
    }
    // Windows that ended, once a second: the timer runs while any counter is kept.
    if (nowMs - prunedAtMs >= PRUNE_INTERVAL_MS) {
      prunedAtMs = nowMs;
      for (const [key, counter] of counters) {
        if (nowMs >= counter.resetAtMs && counter.pending === 0 && counter.inFlight === 0) counters.delete(key);
      }
    }
    await Promise.all(sends);
    if (counters.size > 0) schedule();
  };

  const schedule = () => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => void sync(), options.syncIntervalMs);
    timer.unref();
  };

  const storeFor = (prefix: string): FastifyRateLimitStore => ({
    incr(id, callback, timeWindow, max) {
      const key = prefix + id;
      const nowMs = Date.now();
      let counter = counters.get(key);
      if (counter === undefined) {
        counter = { count: 0, pending: 0, inFlight: 0, resetAtMs: 0, windowMs: timeWindow };
        counters.set(key, counter);
        schedule(); // syncs it, and runs while any counter is kept (pruned once its window ends)
      }
      if (nowMs >= counter.resetAtMs && counter.inFlight === 0) counter.pending = 0; // a new window
      counter.windowMs = timeWindow;
      const counted = counter.count + counter.inFlight + counter.pending + 1;
      if (nowMs < counter.resetAtMs && counted * 2 <= max) {
        counter.pending += 1;
        dirty.add(key); // the timer runs while the counter is kept
        callback(null, { current: counted, ttl: counter.resetAtMs - nowMs });
        return;
      }
      const amount = counter.pending + 1;
      counter.pending = 0;
      add(key, counter, amount).then(
        (answer) => callback(null, answer),
        (error: unknown) => {
          counter.pending += amount; // for the next sync, while the window lasts
          dirty.add(key);
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
    child(routeOptions) {
      // At run time the plugin passes the route as `routeInfo` (what its RedisStore reads too).
      const route = (routeOptions as unknown as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      return storeFor(`${prefix}${route?.method ?? ""}${route?.url ?? ""}-`);
    },
  });

  class Store implements FastifyRateLimitStore {
    readonly #store = storeFor(options.prefix);
    incr(...args: Parameters<FastifyRateLimitStore["incr"]>): void {
      this.#store.incr(...args);
    }
    child(routeOptions: Parameters<FastifyRateLimitStore["child"]>[0]): FastifyRateLimitStore {
      return this.#store.child(routeOptions);
    }
  }
  return {
    Store,
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await sync().catch(() => undefined);
    },
  };
}
