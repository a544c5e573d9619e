import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ListProductsResponseSchema, ProductSchema } from "@souk/contracts/catalog";
import { isCollected } from "@souk/platform/testing";
import { listingReader, type ListingQuery } from "./products.routes.ts";

/** A listing query for `category`'s first page. */
const firstPage = (category: string): ListingQuery => ({ query: "", category, limit: 12, cursor: undefined });

/** A page of one product named after the query's category, as catalog would answer it. */
const pageOf = (q: ListingQuery) =>
  create(ListProductsResponseSchema, { products: [create(ProductSchema, { id: q.category, name: q.category })] });

describe("the gateway's listing cache", () => {
  it("lets go of an expired page nobody asks for again, on the first read a TTL later", async () => {
    const ttlMs = 40;
    const read = listingReader(
      { listProducts: async (q) => pageOf(q as ListingQuery) },
      { ttlMs, maxEntries: 10, maxListingProducts: 20_000 },
    );
    // Read once (a crawl), held here only through a weak reference.
    const crawled = new WeakRef(await read(firstPage("crawled")));
    expect(await read(firstPage("crawled"))).toBe(crawled.deref()); // kept for its TTL
    await read(firstPage("read"));
    expect(await isCollected(crawled)).toBe(false);
    await sleep(ttlMs + 10);
    await read(firstPage("read")); // the first read a TTL after the last sweep drops what expired
    expect(await isCollected(crawled)).toBe(true);
  });

  it("sweeps without failing a load in flight: a refresh of an expired page still answers", async () => {
    const ttlMs = 20;
    let release = () => undefined as void;
    let loads = 0;
    const read = listingReader(
      {
        listProducts: async (q) => {
          loads += 1;
          // The second load of "a" waits until the test lets it go.
          if ((q as ListingQuery).category === "a" && loads > 1) {
            await new Promise<void>((resolve) => (release = resolve));
          }
          return pageOf(q as ListingQuery);
        },
      },
      { ttlMs, maxEntries: 10, maxListingProducts: 20_000 },
    );
    await read(firstPage("a"));
    await sleep(ttlMs + 5);
    const refreshing = read(firstPage("a")); // expired: loads again, and hangs there
    await sleep(ttlMs + 5);
    const other = read(firstPage("b")); // the sweep comes while "a" is still loading
    release();
    const [a, b] = await Promise.all([refreshing, other]);
    expect([a.products[0]?.id, b.products[0]?.id]).toEqual(["a", "b"]);
  });
});
