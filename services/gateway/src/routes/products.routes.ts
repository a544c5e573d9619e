import type { Client } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { CatalogService, ListProductsResponse } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import type { HttpServer } from "@souk/platform";
import { toCategoryDto, toProductDto, toProductPage } from "../mapping/product.mapping.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import { CategoryList, ProductDto, ProductListQuery, ProductPage, ProductParams } from "../schemas/product.schemas.ts";
import {
  availabilityLoader,
  keptLoader,
  productLoader,
  staleSweep,
  type StockCacheOptions,
} from "./catalog.loaders.ts";

/** Settings of the gateway's caches of catalog data (`GATEWAY_PRODUCT_CACHE_*`, `GATEWAY_LISTING_CACHE_*`). */
export interface ProductCacheOptions {
  /** How long catalog's answer (a product, a page of a listing) is reused, in ms; 0 asks catalog on every request. */
  readonly ttlMs: number;
  /** Most products kept. */
  readonly maxEntries: number;
  /** Most products kept in listing pages, all pages together (a page counts its products, at least 1). */
  readonly maxListingProducts: number;
}

/** What GET /v1/products asks catalog's ListProducts. */
export interface ListingQuery {
  readonly query: string;
  readonly category: string | undefined;
  readonly limit: number | undefined;
  readonly cursor: string | undefined;
}

/**
 * Catalog's products behind this process's memory (`keptLoader`: an LRU with a TTL, concurrent
 * misses for one id joined into one call); misses for different ids in one turn of the event
 * loop share one BatchGetProducts call (`productLoader`). Not-found answers and errors are not
 * kept. A product updated in catalog shows here after at most `ttlMs`.
 */
function productReader(catalog: Client<typeof CatalogService>, options: ProductCacheOptions) {
  return keptLoader(productLoader(catalog), options);
}

/**
 * Catalog's ListProducts behind this process's memory, like `productReader`: browse and search
 * pages are the store's most repeated reads, and catalog's own page cache is a gRPC hop (and a
 * Redis read) away. Keyed by the whole query; concurrent misses of one page make one call;
 * errors (an invalid cursor) are not kept. A catalog change shows here after at most `ttlMs`.
 * Expired pages nobody asks for again are swept (`staleSweep`); a page swept or evicted while it
 * loads still answers its callers.
 */
export function listingReader(
  catalog: Pick<Client<typeof CatalogService>, "listProducts">,
  options: ProductCacheOptions,
): (q: ListingQuery) => Promise<ListProductsResponse> {
  const load = (q: ListingQuery): Promise<ListProductsResponse> => catalog.listProducts(q);
  if (options.ttlMs <= 0) return load;
  const cache = new LRUCache<string, ListProductsResponse, ListingQuery>({
    maxSize: options.maxListingProducts,
    sizeCalculation: (page) => Math.max(1, page.products.length),
    ttl: options.ttlMs,
    fetchMethod: (_key, _stale, { context }) => load(context),
    ignoreFetchAbort: true,
  });
  const sweep = staleSweep(cache, options.ttlMs);
  return async (q) => {
    sweep();
    const key = JSON.stringify([q.query, q.category ?? "", q.limit ?? 0, q.cursor ?? ""]);
    return (await cache.fetch(key, { context: q })) ?? load(q);
  };
}

/** What the product routes' OpenAPI descriptions say about `available`. */
const STOCK_FRESHNESS =
  "`available` is inventory's count as this gateway last asked it, at most GATEWAY_STOCK_CACHE_TTL_MS (5 s by default) ago, " +
  "plus up to GATEWAY_EDGE_CACHE_SECONDS (1 s by default; the cluster's NGINX counts whole seconds, so up to 2 s) " +
  "through a shared cache in front of the gateway (`s-maxage`); " +
  "send `Cache-Control: no-cache` for the count now. A checkout reserves against inventory's own count.";

/**
 * The Cache-Control of a product page or listing page: stored by shared caches (the cluster's
 * NGINX) for `seconds`, revalidated by private ones (a browser) every time — RFC 9111 §5.2.2.10
 * (s-maxage), §5.2.2.1 (max-age). Undefined for 0 seconds: no header, nothing is kept.
 */
export function sharedCacheControl(seconds: number): string | undefined {
  return seconds > 0 ? `public, max-age=0, s-maxage=${seconds}` : undefined;
}

/**
 * The public catalog: GET /v1/products (browse and typo-tolerant search), GET /v1/products/{id},
 * GET /v1/categories. Each product carries `available` from inventory, reused for
 * `stockCache.ttlMs` (0: asked on every request) unless the request says `Cache-Control:
 * no-cache` or `max-age=0` (`asksFresh`); the requests of one turn of the event loop share one
 * GetAvailability call (`availabilityLoader`). Product pages and listing pages reuse catalog's
 * answer for `productCache.ttlMs` (see `productReader`, `listingReader`). Their 200 answers may
 * be kept by a shared cache for `sharedCacheSeconds` (`sharedCacheControl`; 0: not kept).
 */
export function productRoutes(
  app: HttpServer,
  deps: {
    catalog: Client<typeof CatalogService>;
    inventory: Client<typeof InventoryService>;
    productCache: ProductCacheOptions;
    stockCache: StockCacheOptions;
    sharedCacheSeconds: number;
  },
): void {
  const availability = availabilityLoader(deps.inventory, deps.stockCache);
  const readProduct = productReader(deps.catalog, deps.productCache);
  const readListing = listingReader(deps.catalog, deps.productCache);
  const cacheControl = sharedCacheControl(deps.sharedCacheSeconds);

  app.get(
    "/v1/products",
    {
      schema: {
        tags: ["catalog"],
        operationId: "listProducts",
        summary: "Browse or search products",
        description: STOCK_FRESHNESS,
        querystring: ProductListQuery,
        response: { 200: jsonResponse("A page of products", ProductPage), ...problemResponses() },
      },
    },
    async (request, reply) => {
      const { q, category, limit, cursor } = request.query;
      const page = await readListing({ query: q ?? "", category, limit, cursor });
      const skus = page.products.map((p) => p.sku);
      const fresh = asksFresh(request.headers["cache-control"]);
      const body = toProductPage(page.products, page.nextCursor, await availability(skus, { fresh }));
      if (cacheControl !== undefined) void reply.header("cache-control", cacheControl);
      return body;
    },
  );

  app.get(
    "/v1/products/:id",
    {
      schema: {
        tags: ["catalog"],
        operationId: "getProduct",
        summary: "One product",
        description: STOCK_FRESHNESS,
        params: ProductParams,
        response: { 200: jsonResponse("The product", ProductDto), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const product = await readProduct(request.params.id);
      const fresh = asksFresh(request.headers["cache-control"]);
      const body = toProductDto(product, await availability([product.sku], { fresh }));
      if (cacheControl !== undefined) void reply.header("cache-control", cacheControl);
      return body;
    },
  );

  app.get(
    "/v1/categories",
    {
      schema: {
        tags: ["catalog"],
        operationId: "listCategories",
        summary: "Every category with its product count",
        response: { 200: jsonResponse("The categories", CategoryList), ...problemResponses() },
      },
    },
    async () => {
      const { categories } = await deps.catalog.listCategories({});
      return { items: categories.map((c) => toCategoryDto(c)) };
    },
  );
}

/**
 * Whether a request's Cache-Control header asks for an answer no cache has kept: the request
 * directives `no-cache` or `max-age=0` (RFC 9111 §5.2.1; names case-insensitive, a quoted
 * argument as well). What a browser's reload sends, and what a client that must see stock as it
 * is now sends.
 *
 * @param header the Cache-Control header's value, or undefined when absent
 */
export function asksFresh(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(",").some((directive) => {
    const [name = "", argument] = directive.trim().toLowerCase().split("=", 2);
    return name === "no-cache" || (name === "max-age" && argument?.replaceAll('"', "").trim() === "0");
  });
}
