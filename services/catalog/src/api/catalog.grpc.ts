import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CatalogService, type ProductSchema } from "@souk/contracts/catalog";
import { moneyToProto } from "@souk/platform";
import type { Product } from "../domain/product.ts";
import type { CatalogUseCases } from "../index.ts";

function toMessage(p: Product): MessageInitShape<typeof ProductSchema> {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    category: p.category,
    price: moneyToProto(p.price),
    images: [...p.images],
  };
}

/** gRPC handlers of souk.catalog.v1.CatalogService: decode, call one use case, encode. */
export function catalogHandlers(uc: CatalogUseCases): ServiceImpl<typeof CatalogService> {
  return {
    async listProducts(req) {
      const page = await uc.listProducts({
        query: req.query,
        category: req.category,
        limit: req.limit,
        cursor: req.cursor,
      });
      return { products: page.products.map(toMessage), nextCursor: page.nextCursor };
    },
    async getProduct(req) {
      return { product: toMessage(await uc.getProduct(req.id)) };
    },
    async batchGetProducts(req) {
      return { products: (await uc.batchGetProducts(req.ids)).map(toMessage) };
    },
    async listCategories() {
      const categories = await uc.listCategories();
      return { categories: categories.map((c) => ({ slug: c.slug, name: c.name, productCount: c.productCount })) };
    },
    async seedProducts(req) {
      const result = await uc.seedProducts(req.count);
      return {
        seeded: result.seeded,
        stock: result.stock.map((s) => ({ sku: s.sku, quantity: BigInt(s.quantity) })),
      };
    },
  };
}
