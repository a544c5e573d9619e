// Before measuring: everything the shopper operations need, prepared through the public API with
// the shop's own client (apps/souk/src/shop): the catalog's categories and products, every product
// page read once (so the measured reads are cache hits), and signed-in customers with carts.
import { setTimeout as sleep } from "node:timers/promises";
import type { Transport } from "../../apps/souk/src/shop/http.transport.ts";
import { createSeededRandom, type SeededRandom } from "../../apps/souk/src/shop/seeded-random.ts";
import { SEARCH_WORDS, typoOf } from "../../apps/souk/src/shop/search-terms.ts";
import { createShopRecorder } from "../../apps/souk/src/shop/shop.recorder.ts";
import { createStoreClient, type StoreClient } from "../../apps/souk/src/shop/store.client.ts";
import type { Product } from "../../apps/souk/src/shop/store.shapes.ts";
import { cardOfCustomer, type BenchCustomer, type ShopperData } from "./shopper.operations.ts";

/** A product is "stocked" (fit for carts) with at least this many units: a run never empties it. */
const STOCKED_MIN_UNITS = 50;
/** Requests in flight while preparing. */
const PREPARE_CONCURRENCY = 8;

/** What preparation hands the generator and the report. */
export interface PreparedShop {
  readonly data: ShopperData;
  /** Mean size of a product page's body (bytes): the size of NGINX's static file. */
  readonly productBodyBytes: number;
  readonly products: number;
  /** Signs every customer in again; returns email → new access token. */
  relogin(): Promise<Map<string, string>>;
}

/** Options of `prepareShop`. */
export interface PrepareOptions {
  readonly baseUrl: string;
  readonly transport: Transport;
  /** Unique per run: keeps customers' emails apart across runs. */
  readonly runId: string;
  readonly seed: number;
  readonly productPages: number;
  readonly checkoutCustomers: number;
  readonly cartCustomers: number;
  readonly log: (line: string) => void;
}

/**
 * The search terms: every shop search word, then a typo of each (the trigram path), so the
 * generator and the pgbench search script run the same queries.
 */
export function benchSearchTerms(seed: number): string[] {
  const random = createSeededRandom(seed);
  return [...SEARCH_WORDS, ...SEARCH_WORDS.map((word) => typoOf(word, random))];
}

/**
 * Prepares the shop through its public API.
 * @throws ApiError, TransportError or ShapeError when the store misbehaves.
 */
export async function prepareShop(options: PrepareOptions): Promise<PreparedShop> {
  const random = createSeededRandom(options.seed);
  const client = createStoreClient({
    baseUrl: options.baseUrl,
    transport: options.transport,
    recorder: createShopRecorder(),
    nowMs: () => performance.now(),
    sleep: (ms) => sleep(ms),
  });

  const categories = (await client.categories()).filter((c) => c.productCount > 0).map((c) => c.slug);
  const products: Product[] = [];
  for (const category of categories) {
    let cursor: string | undefined;
    do {
      const page = await client.products({ category, limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      products.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  if (products.length === 0) throw new Error("the catalog is empty: nothing to benchmark");
  const productIds = random.sample(products, options.productPages).map((p) => p.id);
  const stockedProductIds = products.filter((p) => p.available >= STOCKED_MIN_UNITS).map((p) => p.id);
  if (stockedProductIds.length === 0) throw new Error(`no product has ${STOCKED_MIN_UNITS}+ units in stock`);

  // Every product page once: it fills the product cache, and tells the size of a product response.
  let bytes = 0;
  await inParallel(productIds, PREPARE_CONCURRENCY, async (id) => {
    const reply = await options.transport.send({
      method: "GET",
      url: new URL(`/v1/products/${encodeURIComponent(id)}`, options.baseUrl),
      headers: { accept: "application/json" },
      timeoutMs: 30_000,
    });
    if (reply.status !== 200) throw new Error(`GET /v1/products/${id} answered ${reply.status}`);
    bytes += Buffer.byteLength(reply.body);
  });
  const productBodyBytes = Math.round(bytes / productIds.length);
  options.log(
    `prepare: ${products.length} products in ${categories.length} categories; ` +
      `${productIds.length} product pages read once (mean body ${productBodyBytes} bytes)`,
  );

  const total = options.checkoutCustomers + options.cartCustomers;
  const credentials = Array.from({ length: total }, (_, i) => ({
    index: i,
    email: `bench-${options.runId}-${i}@example.com`,
    password: `Bench-${options.runId}-${i}-pw!`,
  }));
  const customers: BenchCustomer[] = new Array<BenchCustomer>(total);
  await inParallel(credentials, PREPARE_CONCURRENCY, async ({ index, email, password }) => {
    await client.register({ email, password, name: `Bench Shopper ${index}` });
    const tokens = await client.login({ email, password });
    const customer: BenchCustomer = { email, token: tokens.accessToken, card: cardOfCustomer(index), lines: [] };
    if (index < options.checkoutCustomers) await addStockedLine(client, customer, stockedProductIds, random);
    customers[index] = customer;
  });
  options.log(
    `prepare: ${total} customers registered and signed in ` +
      `(${options.checkoutCustomers} checking out with one line in their cart, ${options.cartCustomers} changing carts)`,
  );

  return {
    data: {
      productIds,
      stockedProductIds,
      categories,
      searchTerms: benchSearchTerms(options.seed),
      checkoutCustomers: customers.slice(0, options.checkoutCustomers),
      cartCustomers: customers.slice(options.checkoutCustomers),
    },
    productBodyBytes,
    products: products.length,
    async relogin() {
      const tokens = new Map<string, string>();
      await inParallel(credentials, PREPARE_CONCURRENCY, async ({ email, password }) => {
        tokens.set(email, (await client.login({ email, password })).accessToken);
      });
      return tokens;
    },
  };
}

/** Adds one unit of a stocked product (a few tries: one may have run out meanwhile). */
async function addStockedLine(
  client: StoreClient,
  customer: BenchCustomer,
  stocked: readonly string[],
  random: SeededRandom,
): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const productId = random.pick(stocked);
    try {
      await client.addToCart(customer.token, productId, 1);
      customer.lines.push(productId);
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Runs `work` on every item, at most `concurrency` at a time; rejects with the first failure. */
async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()));
}
