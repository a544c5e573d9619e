import { createHash } from "node:crypto";
import { redisScript, type Logger, type Redis } from "@souk/platform";
import type { ProductPage } from "../domain/listing.ts";
import { NO_GENERATION, type CacheGeneration, type ProductCache } from "../domain/product-cache.ts";
import type { CategorySummary, Product } from "../domain/product.ts";

/** Settings of the Redis product cache. */
export interface RedisProductCacheOptions {
  /** How long a product or the category list lives, in seconds (`CATALOG_CACHE_TTL_SECONDS`): the keys' EX. */
  readonly ttlSeconds: number;
  /**
   * How long a listing page lives, in seconds (`CATALOG_LISTING_CACHE_TTL_SECONDS`): the keys'
   * EX. 0 caches no listing (and sends Redis nothing for one).
   */
  readonly listingTtlSeconds: number;
  /** Receives the (rate-limited) warnings of a cache that cannot answer. */
  readonly logger: Logger;
  /**
   * Prefix of every key. The version in it names the value format: change the encoding of a
   * product, bump the version, and old entries are simply never read again (they expire).
   */
  readonly keyPrefix?: string;
}

/**
 * Key prefix of the catalog cache, format version 1: JSON of `Product` (dates as ISO 8601), of
 * the category list, and of listing pages as `<generation>\n<JSON of ProductPage>`.
 */
export const PRODUCT_CACHE_KEY_PREFIX = "catalog:v1:";

/**
 * Longest listing key (in UTF-16 code units) stored as is; a longer one (a long query, a cursor
 * after a long name) is replaced by `#` + the base64url SHA-256 of it (43 characters), so any
 * user input gives a key of bounded size. `#` marks the hashed form: a raw key starting with
 * `#` is hashed too, so the two forms never meet.
 */
export const MAX_RAW_LISTING_KEY_LENGTH = 128;

/** The Redis key suffix of the listing with cache key `key` (see `MAX_RAW_LISTING_KEY_LENGTH`). */
export function listingKeySuffix(key: string): string {
  if (key.length <= MAX_RAW_LISTING_KEY_LENGTH && !key.startsWith("#")) return key;
  return `#${createHash("sha256").update(key).digest("base64url")}`;
}

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

/** A parsed cached product back to a product (dates revived); undefined when it does not look like one. */
function reviveProduct(value: unknown): Product | undefined {
  const cached = value as Partial<CachedProduct> | null;
  if (typeof cached?.id !== "string" || typeof cached.price?.amountMinor !== "number") return undefined;
  if (typeof cached.createdAt !== "string" || typeof cached.updatedAt !== "string") return undefined;
  return { ...(cached as CachedProduct), createdAt: new Date(cached.createdAt), updatedAt: new Date(cached.updatedAt) };
}

/** A cached JSON value back to a product; undefined for anything unreadable (treated as a miss). */
function decodeProduct(json: string): Product | undefined {
  try {
    return reviveProduct(JSON.parse(json));
  } catch {
    return undefined;
  }
}

/**
 * A cached listing value (`<generation>\n<JSON>`) back to a page when it was filled under
 * `generation`; undefined for another generation (filled before an invalidation) or anything
 * unreadable — both are misses.
 */
function decodeListing(value: string, generation: string): ProductPage | undefined {
  const newline = value.indexOf("\n");
  if (newline < 0 || value.slice(0, newline) !== generation) return undefined;
  try {
    const cached = JSON.parse(value.slice(newline + 1)) as { products?: unknown; nextCursor?: unknown } | null;
    if (!Array.isArray(cached?.products) || typeof cached.nextCursor !== "string") return undefined;
    const products = cached.products.map(reviveProduct);
    if (!products.every((p) => p !== undefined)) return undefined;
    return { products, nextCursor: cached.nextCursor };
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
 * each with an expiry of `ttlSeconds`; one per listing page (`catalog:v1:listing:<key>`, see
 * `listingKeySuffix`), `<generation>\n<JSON>` with an expiry of `listingTtlSeconds`; plus a
 * generation counter (`catalog:v1:generation`, no expiry). A lookup reads the counter with the
 * entries (one MGET); a fill is a script that writes only if the counter has not moved; an
 * invalidation is one MULTI: INCR the counter, DEL the products and the category list. Listing
 * pages are not deleted (a write may change any of them, and they cannot be enumerated
 * cheaply): a page is a hit only while the generation it carries is the current one, so the
 * INCR turns every page into a miss, and the stale ones expire with their TTL.
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
  const listingKey = (key: string) => `${prefix}listing:${listingKeySuffix(key)}`;

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

  const fill = (
    entries: readonly [key: string, json: string][],
    generation: CacheGeneration,
    ttlSeconds = options.ttlSeconds,
  ) =>
    tolerant(
      "fill",
      async () => {
        if (generation === NO_GENERATION || entries.length === 0) return;
        await FILL.run(
          redis,
          [generationKey, ...entries.map(([key]) => key)],
          [generation, ttlSeconds, ...entries.map(([, json]) => json)],
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

    getListing(key) {
      if (options.listingTtlSeconds === 0) return Promise.resolve({ page: undefined, generation: NO_GENERATION });
      return tolerant(
        "get",
        async () => {
          const [stored, value] = await redis.mget(generationKey, listingKey(key));
          const generation = stored ?? "0";
          const page = value === null || value === undefined ? undefined : decodeListing(value, generation);
          return { page, generation };
        },
        { page: undefined, generation: NO_GENERATION },
      );
    },

    putListing(key, page, generation) {
      if (options.listingTtlSeconds === 0) return Promise.resolve();
      return fill([[listingKey(key), `${generation}\n${JSON.stringify(page)}`]], generation, options.listingTtlSeconds);
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
