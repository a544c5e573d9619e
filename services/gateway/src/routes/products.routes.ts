import type { Client } from "@connectrpc/connect";
import { LRUCache } from "lru-cache";
import type { CatalogService, Product } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import type { HttpServer } from "@souk/platform";
import { present } from "../mapping/common.mapping.ts";
import { availabilityBySku, toCategoryDto, toProductDto, toProductPage } from "../mapping/product.mapping.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import { CategoryList, ProductDto, ProductListQuery, ProductPage, ProductParams } from "../schemas/product.schemas.ts";

/** Settings of the product page's cache of catalog data (`GATEWAY_PRODUCT_CACHE_*`). */
export interface ProductCacheOptions {
  /** How long a product's catalog data is reused, in ms; 0 asks catalog on every request. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/**
 * Catalog's GetProduct behind this process's memory: an LRU with a TTL (`lru-cache`), whose
 * `fetch` also coalesces concurrent misses for one id into one call. Not-found answers and
 * errors are not kept. A product updated in catalog shows here after at most `ttlMs`.
 */
function productReader(catalog: Client<typeof CatalogService>, options: ProductCacheOptions) {
  const load = async (id: string): Promise<Product> => present((await catalog.getProduct({ id })).product, "product");
  if (options.ttlMs <= 0) return load;
  const cache = new LRUCache<string, Product>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    fetchMethod: (id) => load(id),
  });
  return async (id: string): Promise<Product> => (await cache.fetch(id)) ?? load(id);
}

/**
 * The public catalog: GET /v1/products (browse and typo-tolerant search), GET /v1/products/{id},
 * GET /v1/categories. Each product carries `available` from inventory, one batch call per page
 * (inventory answers it from its stock-level cache). The product page reuses catalog's answer
 * for `productCache.ttlMs` (see `productReader`); stock is always asked.
 */
export function productRoutes(
  app: HttpServer,
  deps: {
    catalog: Client<typeof CatalogService>;
    inventory: Client<typeof InventoryService>;
    productCache: ProductCacheOptions;
  },
): void {
  const availability = async (skus: string[]) =>
    availabilityBySku(skus.length === 0 ? [] : (await deps.inventory.getAvailability({ skus })).levels);
  const readProduct = productReader(deps.catalog, deps.productCache);

  app.get(
    "/v1/products",
    {
      schema: {
        tags: ["catalog"],
        operationId: "listProducts",
        summary: "Browse or search products",
        querystring: ProductListQuery,
        response: { 200: jsonResponse("A page of products", ProductPage), ...problemResponses() },
      },
    },
    async (request) => {
      const { q, category, limit, cursor } = request.query;
      const page = await deps.catalog.listProducts({ query: q ?? "", category, limit, cursor });
      return toProductPage(page.products, page.nextCursor, await availability(page.products.map((p) => p.sku)));
    },
  );

  app.get(
    "/v1/products/:id",
    {
      schema: {
        tags: ["catalog"],
        operationId: "getProduct",
        summary: "One product",
        params: ProductParams,
        response: { 200: jsonResponse("The product", ProductDto), ...problemResponses(404) },
      },
    },
    async (request) => {
      const product = await readProduct(request.params.id);
      return toProductDto(product, await availability([product.sku]));
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
