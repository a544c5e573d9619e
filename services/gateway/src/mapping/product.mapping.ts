import type { Static } from "typebox";
import type { Category, Product } from "@souk/contracts/catalog";
import type { StockLevel } from "@souk/contracts/inventory";
import { int64ToNumber } from "@souk/platform";
import type { CategoryDto, ProductDto, ProductPage } from "../schemas/product.schemas.ts";
import { toMoneyDto, toNextCursor } from "./common.mapping.ts";

/** Available units by SKU from inventory's levels; a SKU inventory does not know has 0 available. */
export function availabilityBySku(levels: readonly StockLevel[]): ReadonlyMap<string, number> {
  return new Map(levels.map((level) => [level.sku, Math.max(0, int64ToNumber(level.available))]));
}

/** catalog Product + its availability → REST product. */
export function toProductDto(product: Product, available: ReadonlyMap<string, number>): Static<typeof ProductDto> {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price: toMoneyDto(product.price),
    available: available.get(product.sku) ?? 0,
    images: [...product.images],
  };
}

/** A catalog page + availability → REST product page. */
export function toProductPage(
  products: readonly Product[],
  nextCursor: string,
  available: ReadonlyMap<string, number>,
): Static<typeof ProductPage> {
  return { items: products.map((p) => toProductDto(p, available)), nextCursor: toNextCursor(nextCursor) };
}

/** catalog Category → REST category. */
export function toCategoryDto(category: Category): Static<typeof CategoryDto> {
  return { slug: category.slug, name: category.name, productCount: category.productCount };
}
