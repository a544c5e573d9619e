import Type from "typebox";
import { MoneyDto, NextCursor, PageCursor, PageLimit, ResourceId, Text } from "./common.schemas.ts";

/** GET /v1/products query: full-text search (typo tolerant) and/or a category, paginated. */
export const ProductListQuery = Type.Object(
  {
    q: Type.Optional(Text({ maxLength: 200, description: "Free-text query; absent or empty browses" })),
    category: Type.Optional(Text({ maxLength: 100, description: "Category slug; absent or empty means all" })),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);

/** Path of GET /v1/products/{id}. */
export const ProductParams = Type.Object({ id: ResourceId });

/** A product with its price and how many units can be bought now. */
export const ProductDto = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String({ description: "Category slug" }),
  price: MoneyDto,
  available: Type.Integer({ minimum: 0, description: "Units in stock and not reserved" }),
  images: Type.Array(Type.String({ description: "Image URL" })),
});

/** A page of products. */
export const ProductPage = Type.Object({ items: Type.Array(ProductDto), nextCursor: NextCursor });

/** A category with the number of products in it. */
export const CategoryDto = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  productCount: Type.Integer({ minimum: 0 }),
});

/** GET /v1/categories response. */
export const CategoryList = Type.Object({ items: Type.Array(CategoryDto) });
