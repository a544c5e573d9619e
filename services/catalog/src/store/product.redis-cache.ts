import { redisScript, type Logger, type Redis } from "@souk/platform";
import { NO_GENERATION, type CacheGeneration, type ProductCache } from "../domain/product-cache.ts";
import type { CategorySummary, Product } from "../domain/product.ts";

/** Settings of the Redis product cache. */
export interface RedisProductCacheOptions {
  /** How long an entry lives, in seconds (`CATALOG_CACHE_TTL_SECONDS`): the keys' EX. */
  readonly ttlSeconds: number;
  /** Receives the (rate-limited) warnings of a cache that cannot answer. */
  readonly logger: Logger;
  /**
   * Prefix of every key. The version in it names the value format: change the encoding of a
   * product, bump the version, and old entries are simply never read again (they expire).
   */
  readonly keyPrefix?: string;
}

/** Key prefix of the catalog cache, format version 1 (JSON of `Product`, dates as ISO 8601). */
export const PRODUCT_CACHE_KEY_PREFIX = "catalog:v1:";

/** At most one warning per this many milliseconds while the cache keeps failing. */
const WARN_INTERVAL_MS = 10_000;

/**
 * Sets KEYS[2..n] to ARGV[3..n+1] with a TTL of ARGV[2] seconds, unless the generation counter
 * KEYS[1] moved on from ARGV[1] (an invalidation happened since the lookup). Returns 1 when
 * filled, 0 when dropped.
 */
const FILL = redisScript(`
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[2])
end
return 1
`);

interface CachedProduct extends Omit<Product, "createdAt" | "updatedAt"> {
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A cached JSON value back to a product; undefined for anything unreadable (treated as a miss). */
function decodeProduct(json: string): Product | undefined {
  try {
    const cached = JSON.parse(json) as CachedProduct;
    if (typeof cached.id !== "string" || typeof cached.price?.amountMinor !== "number") return undefined;
    return { ...cached, createdAt: new Date(cached.createdAt), updatedAt: new Date(cached.updatedAt) };
  } catch {
    return undefined;
  }
}

function decodeCategories(json: string): CategorySummary[] | undefined {
  try {
    const cached = JSON.parse(json) as unknown;
    return Array.isArray(cached) ? (cached as CategorySummary[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The product cache on Redis, shared by every catalog process: one string key per product
 * (`catalog:v1:product:<id>`, JSON) and one for the category list (`catalog:v1:categories`),
 * each with an expiry of `ttlSeconds`, plus a generation counter (`catalog:v1:generation`,
 * no expiry). A lookup reads the counter with the entries (one MGET); a fill is a script that
 * writes only if the counter has not moved; an invalidation is one MULTI: INCR the counter,
 * DEL the products and the category list.
 *
 * When Redis fails (down, timeout) a lookup reports misses and a fill does nothing, logged at
 * warn at most once per 10 s with the count of failures suppressed since the last warning. A
 * failed invalidation is logged at error every time: the entries it could not delete are
 * served until their TTL runs out.
 */
export function createRedisProductCache(redis: Redis, options: RedisProductCacheOptions): ProductCache {
  const prefix = options.keyPrefix ?? PRODUCT_CACHE_KEY_PREFIX;
  const generationKey = `${prefix}generation`;
  const categoriesKey = `${prefix}categories`;
  const productKey = (id: string) => `${prefix}product:${id}`;

  let lastWarnMs = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  /** Runs a cache call; on failure logs (rate-limited) and answers `fallback`. */
  const tolerant = async <T>(operation: string, call: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      const now = performance.now();
      if (now - lastWarnMs >= WARN_INTERVAL_MS) {
        options.logger.warn(
          { err: error, operation, suppressedSinceLastWarning: suppressed },
          "product cache unavailable; serving from the database",
        );
        lastWarnMs = now;
        suppressed = 0;
      } else {
        suppressed += 1;
      }
      return fallback;
    }
  };

  const fill = (entries: readonly [key: string, json: string][], generation: CacheGeneration) =>
    tolerant(
      "fill",
      async () => {
        if (generation === NO_GENERATION || entries.length === 0) return;
        await FILL.run(
          redis,
          [generationKey, ...entries.map(([key]) => key)],
          [generation, options.ttlSeconds, ...entries.map(([, json]) => json)],
        );
      },
      undefined,
    );

  return {
    getProducts(ids) {
      return tolerant(
        "get",
        async () => {
          const [generation, ...values] = await redis.mget(generationKey, ...ids.map(productKey));
          const hits = new Map<string, Product>();
          ids.forEach((id, i) => {
            const value = values[i];
            const product = value === null || value === undefined ? undefined : decodeProduct(value);
            if (product !== undefined) hits.set(id, product);
          });
          return { hits, generation: generation ?? "0" };
        },
        { hits: new Map(), generation: NO_GENERATION },
      );
    },

    putProducts(products, generation) {
      return fill(
        products.map((p) => [productKey(p.id), JSON.stringify(p)]),
        generation,
      );
    },

    getCategories() {
      return tolerant(
        "get",
        async () => {
          const [generation, value] = await redis.mget(generationKey, categoriesKey);
          const categories = value === null || value === undefined ? undefined : decodeCategories(value);
          return { categories, generation: generation ?? "0" };
        },
        { categories: undefined, generation: NO_GENERATION },
      );
    },

    putCategories(categories, generation) {
      return fill([[categoriesKey, JSON.stringify(categories)]], generation);
    },

    async invalidate(ids) {
      try {
        const replies = await redis
          .multi()
          .incr(generationKey)
          .del(categoriesKey, ...ids.map(productKey))
          .exec();
        const failed = replies?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
      } catch (error) {
        // Rare (an admin's write) and consequential (old entries live on until their TTL): never rate-limited.
        options.logger.error(
          { err: error, productIds: ids, staleForAtMostSeconds: options.ttlSeconds },
          "product cache invalidation failed; cached entries expire with their TTL",
        );
      }
    },
  };
}
