import { expect } from "vitest";
import type { Api } from "./http.ts";
import type { Page, Product } from "./types.ts";

/** Products already handed to a test of this file, so concurrent tests never share stock. */
const claimed = new Set<string>();

/**
 * Test files running at the same time in different vitest workers share one store in the
 * distributed topology, so each worker takes products only from its own slice of the catalog
 * (by a hash of the product id). Embedded stores are per file, where this changes nothing.
 */
const SLICES = 4;
const mySlice = (Number(process.env["VITEST_POOL_ID"] ?? "1") - 1) % SLICES;
function inMySlice(productId: string): boolean {
  let hash = 0;
  for (const char of productId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % SLICES === mySlice;
}

/** Every product of the catalog, page by page (100 per page). */
export async function allProducts(api: Api): Promise<Product[]> {
  const products: Product[] = [];
  let cursor: string | null = "";
  while (cursor !== null) {
    const query: string = cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await api.get<Page<Product>>(`/v1/products?limit=100${query}`);
    expect(page.status, page.text).toBe(200);
    products.push(...page.body.items);
    cursor = page.body.nextCursor;
  }
  return products;
}

/**
 * Claims `count` in-stock products no other test of this file has claimed, matching `accept`
 * (e.g. a price or stock range); cheapest first, so totals stay under the fraud amount limit.
 * @throws when the catalog has too few.
 */
export async function claimProducts(
  api: Api,
  count: number,
  accept: (product: Product) => boolean = (p) => p.available >= 5,
): Promise<Product[]> {
  const candidates = (await allProducts(api))
    .filter((p) => !claimed.has(p.id) && inMySlice(p.id) && accept(p))
    .sort((a, b) => a.price.amount - b.price.amount)
    .slice(0, count);
  if (candidates.length < count) throw new Error(`only ${candidates.length} products match, ${count} needed`);
  for (const product of candidates) claimed.add(product.id);
  return candidates;
}

/**
 * The current `available` of a product (GET /v1/products/{id} with `Cache-Control: no-cache`:
 * inventory's count now, not one the gateway kept for up to GATEWAY_STOCK_CACHE_TTL_MS).
 */
export async function availableOf(api: Api, productId: string): Promise<number> {
  const response = await api.get<Product>(`/v1/products/${productId}`, { headers: { "cache-control": "no-cache" } });
  expect(response.status, response.text).toBe(200);
  return response.body.available;
}
