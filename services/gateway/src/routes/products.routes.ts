import type { Client } from "@connectrpc/connect";
import type { CatalogService } from "@souk/contracts/catalog";
import type { InventoryService } from "@souk/contracts/inventory";
import type { HttpServer } from "@souk/platform";
import { present } from "../mapping/common.mapping.ts";
import { availabilityBySku, toCategoryDto, toProductDto, toProductPage } from "../mapping/product.mapping.ts";
import { jsonResponse, problemResponses } from "../schemas/common.schemas.ts";
import { CategoryList, ProductDto, ProductListQuery, ProductPage, ProductParams } from "../schemas/product.schemas.ts";

/**
 * The public catalog: GET /v1/products (browse and typo-tolerant search), GET /v1/products/{id},
 * GET /v1/categories. Each product carries `available` from inventory, one batch call per page.
 */
export function productRoutes(
  app: HttpServer,
  deps: { catalog: Client<typeof CatalogService>; inventory: Client<typeof InventoryService> },
): void {
  const availability = async (skus: string[]) =>
    availabilityBySku(skus.length === 0 ? [] : (await deps.inventory.getAvailability({ skus })).levels);

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
      const product = present((await deps.catalog.getProduct({ id: request.params.id })).product, "product");
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
