import type { Client } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { CatalogService, Product } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import { perTurnLoader } from "@souk/platform";
import { present } from "../mapping/common.mapping.ts";
import { availabilityBySku } from "../mapping/product.mapping.ts";

/** Most SKUs one coalesced GetAvailability call carries. */
const MAX_SKUS_PER_CALL = 500;
/** Most ids one coalesced BatchGetProducts call carries (catalog's own limit, `MAX_BATCH_IDS`). */
const MAX_IDS_PER_CALL = 200;

/** How long a loader's answers are kept, and how many (`keptLoader`). */
export interface KeptAnswers {
  /** How long an answer is reused, in ms; 0 loads on every call. */
  readonly ttlMs: number;
  /** Most keys kept. */
  readonly maxEntries: number;
  /** The clock TTLs are measured on, in ms (default `performance`; tests step their own). */
  readonly clock?: { now(): number };
}

/** Settings of the gateway's cache of stock levels (`GATEWAY_STOCK_CACHE_TTL_MS`): SKUs kept. */
export type StockCacheOptions = KeptAnswers;

/** Inventory asked on every request: no stock is kept. */
const NO_STOCK_CACHE: StockCacheOptions = { ttlMs: 0, maxEntries: 1 };

/**
 * A sweep of `cache`'s expired entries for every read of a cache whose entries live `ttlMs`: the
 * first call at least `ttlMs` after the last sweep drops them all (lru-cache's `purgeStale`, one
 * walk over the entries); other calls do nothing. lru-cache keeps an expired entry until its key
 * is asked again or newer ones push it out, so a key asked once (a client paging through every
 * category: the bench's preparation kept 5,000 products of listing pages) would stay for good.
 * A cache swept this way needs lru-cache's `ignoreFetchAbort`: a key dropped while it loads then
 * still answers its callers, whom lru-cache would otherwise reject with "deleted". `clock` is the
 * cache's (ms; default `performance`).
 *
 * @returns the function to call on every read
 */
export function staleSweep(
  cache: { purgeStale(): boolean },
  ttlMs: number,
  clock: { now(): number } = performance,
): () => void {
  let sweptAtMs = clock.now();
  return () => {
    const nowMs = clock.now();
    if (nowMs - sweptAtMs < ttlMs) return;
    sweptAtMs = nowMs;
    cache.purgeStale();
  };
}

/** When a kept key's answer was loaded (on the loader's clock, ms) and whether a call read it since. */
interface KeptLoad {
  readonly atMs: number;
  read: boolean;
}

/**
 * `load` behind this process's memory: an LRU of `kept.maxEntries` keys whose answers are
 * reused for `kept.ttlMs` (`lru-cache`, whose `fetch` also joins concurrent misses of one key
 * into one load). Rejections are not kept. A call with `fresh` loads anew and keeps that answer.
 * With `kept.ttlMs` 0 every call loads. Expired answers nobody asks for again are swept
 * (`staleSweep`); a key swept or evicted while it loads still answers its callers.
 *
 * Refresh-ahead, in batches: the first call that reads an answer older than half the TTL gets
 * that answer at once and reloads, in the background and in that same turn of the event loop,
 * every kept answer older than a quarter of the TTL that a call read since it was loaded (at most
 * one such walk per quarter of the TTL). With a `load` that batches a turn's keys
 * (`perTurnLoader`), the keys a process keeps reading are reloaded together, a few calls per TTL,
 * instead of one miss — and one call, with a reader waiting on it — per key per TTL. A reloaded
 * answer replaces the kept one and lives a TTL from then; an answer no call read since its load
 * is not reloaded, and expires unless a later walk finds it read. A reload that fails
 * leaves the kept answer to its TTL (the first call after that loads, and sees the error); one
 * overtaken by a `fresh` load is dropped. No answer is ever older than the TTL. The pattern is
 * Oracle Coherence's refresh-ahead ("refresh-ahead-factor" 0.5), with a turn's reloads batched
 * and the reloads of nearly-due answers brought forward to join them.
 *
 * @returns `(key, fresh?) => Promise<answer>`
 * @throws what `load` throws, to the calls that share that load
 */
export function keptLoader<V extends object | number>(
  load: (key: string) => Promise<V>,
  kept: KeptAnswers,
): (key: string, fresh?: boolean) => Promise<V> {
  if (kept.ttlMs <= 0) return (key) => load(key);
  const clock = kept.clock ?? performance;
  // A read of an answer this old reloads it, with every read answer at least `joinAfterMs` old.
  const refreshAfterMs = kept.ttlMs / 2;
  const joinAfterMs = kept.ttlMs / 4;
  // Every kept key, oldest load first (a Map iterates in insertion order; a reload re-inserts).
  const loads = new Map<string, KeptLoad>();
  const track = (key: string, atMs: number): KeptLoad => {
    loads.delete(key);
    const loaded: KeptLoad = { atMs, read: false };
    loads.set(key, loaded);
    return loaded;
  };
  const cache = new LRUCache<string, V>({
    max: kept.maxEntries,
    ttl: kept.ttlMs,
    perf: clock,
    fetchMethod: (key) => {
      track(key, clock.now());
      return load(key);
    },
    ignoreFetchAbort: true,
    // Evicted, expired, deleted or failed: nothing to refresh. ("set" is a new answer.)
    dispose: (_answer, key, reason) => {
      if (reason !== "set") loads.delete(key);
    },
  });
  let walkedAtMs = -Infinity;
  const refreshDue = (nowMs: number) => {
    walkedAtMs = nowMs;
    for (const [key, loaded] of loads) {
      const ageMs = nowMs - loaded.atMs;
      if (ageMs < joinAfterMs) break; // the rest are younger
      if (!cache.has(key)) {
        loads.delete(key); // expired or gone
        continue;
      }
      if (!loaded.read) continue; // unread since its load: a later walk may find it read
      const reload = track(key, nowMs); // re-inserted at the end: the walk stops there
      load(key).then(
        (answer) => {
          if (loads.get(key) === reload) cache.set(key, answer);
        },
        () => undefined, // the kept answer stays until its TTL ends
      );
    }
  };
  const sweep = staleSweep(cache, kept.ttlMs, clock);
  return async (key, fresh = false) => {
    sweep();
    const loaded = loads.get(key);
    if (loaded !== undefined) {
      loaded.read = true;
      const nowMs = clock.now();
      if (nowMs - loaded.atMs >= refreshAfterMs && nowMs - walkedAtMs >= joinAfterMs) refreshDue(nowMs);
    }
    return (await cache.fetch(key, { forceRefresh: fresh })) ?? load(key);
  };
}

/**
 * Available units of SKUs, from inventory, for many concurrent requests at once
 * (`perTurnLoader`): every load made during one turn of the event loop — every request whose
 * bytes, or whose rate-limit answer from Redis, arrived in that turn — becomes one
 * GetAvailability call (at most 500 SKUs each), so N product pages served together cost one
 * round trip instead of N.
 *
 * With `cache.ttlMs` > 0 each SKU's answer is kept that long in this process's memory
 * (`keptLoader`: an LRU of `cache.maxEntries` SKUs, concurrent misses of one SKU joined): the product page is the store's most repeated read, and stock shown on it is a display —
 * a checkout reserves against inventory's own count, never this one. A load with `fresh` asks
 * inventory regardless (and keeps the new answer); errors are not kept. Without a cache, each
 * request sees stock as inventory tells it at that moment.
 *
 * Returns `(skus, { fresh }) => Promise<Map<sku, available units>>`; a SKU inventory does not
 * know has 0.
 * @throws whatever the call throws (a ConnectError, e.g. UNAVAILABLE), to every request in the batch.
 */
export function availabilityLoader(
  inventory: Client<typeof InventoryService>,
  cache: StockCacheOptions = NO_STOCK_CACHE,
): (skus: readonly string[], options?: { readonly fresh?: boolean }) => Promise<ReadonlyMap<string, number>> {
  const load = perTurnLoader<string, number>(async (skus) => {
    const available = availabilityBySku((await inventory.getAvailability({ skus: [...skus] })).levels);
    return skus.map((sku) => available.get(sku) ?? 0);
  }, MAX_SKUS_PER_CALL);
  const unitsOf = keptLoader(load, cache);
  return async (skus, options) => {
    if (skus.length === 0) return new Map();
    const fresh = options?.fresh === true;
    const units = await Promise.all(skus.map((sku) => unitsOf(sku, fresh)));
    return new Map(skus.map((sku, i) => [sku, units[i] ?? 0]));
  };
}

/**
 * One product from catalog, for many concurrent requests at once: every `load` made during one
 * turn of the event loop becomes one BatchGetProducts call (at most 200 ids each). An id the
 * batch does not return is asked again alone with GetProduct, so an unknown or malformed id gets
 * exactly catalog's own answer (404 CATALOG_PRODUCT_NOT_FOUND) — and only that request does.
 *
 * Returns `(id) => Promise<Product>`.
 * @throws catalog's error for that id, or the batch call's error (e.g. UNAVAILABLE) to every request in it.
 */
export function productLoader(catalog: Client<typeof CatalogService>): (id: string) => Promise<Product> {
  const getOne = async (id: string): Promise<Product> => present((await catalog.getProduct({ id })).product, "product");
  return perTurnLoader<string, Product>(async (ids) => {
    const { products } = await catalog.batchGetProducts({ ids: [...ids] });
    // Catalog answers with its canonical (lower-case) ids.
    const byId = new Map(products.map((p) => [p.id, p]));
    return Promise.all(
      ids.map(async (id) => byId.get(id.toLowerCase()) ?? getOne(id).catch((error: unknown) => toError(error))),
    );
  }, MAX_IDS_PER_CALL);
}

/** A load fails alone when its slot holds an Error instance. */
function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
