import { beforeAll, describe, expect, it } from "vitest";
import {
  createDemoFaker,
  DEMO_IMAGE_BASE_URL,
  generateDemoCatalog,
  MAX_DEMO_PRODUCTS,
  type DemoCatalog,
} from "./demo-catalog.ts";
import { ALBUM_FORMATS, BOOK_FORMATS, DEPARTMENTS, GAME_PLATFORMS, MOVIE_FORMATS } from "./demo-departments.ts";
import { assertValidProducts, SKU_PATTERN } from "./product.ts";

describe("demo catalog generator", () => {
  let catalog: DemoCatalog;
  beforeAll(async () => {
    catalog = generateDemoCatalog(await createDemoFaker(), 5_000);
  });

  it("is deterministic: the same seed gives identical products, another seed different ones", async () => {
    // Compared as JSON: exact, and far faster than a deep equality walk over 5,000 objects.
    expect(JSON.stringify(generateDemoCatalog(await createDemoFaker(), 5_000))).toBe(JSON.stringify(catalog));
    const other = generateDemoCatalog(await createDemoFaker(7), 5_000);
    expect(other.products.map((p) => p.name)).not.toEqual(catalog.products.map((p) => p.name));
    // A smaller catalog is a different draw, but still deterministic.
    expect(JSON.stringify(generateDemoCatalog(await createDemoFaker(), 600))).toBe(
      JSON.stringify(generateDemoCatalog(await createDemoFaker(), 600)),
    );
  });

  it("makes 5,000 products over at least 20 categories, each category used", () => {
    expect(catalog.products).toHaveLength(5_000);
    expect(catalog.categories.length).toBeGreaterThanOrEqual(20);
    const used = new Set(catalog.products.map((p) => p.category));
    expect([...used].sort()).toEqual(catalog.categories.map((c) => c.slug).sort());
    expect(catalog.categories.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "Electronics",
        "Books",
        "Home & Kitchen",
        "Pet Supplies",
        "Video Games",
        "Arts & Crafts",
      ]),
    );
  });

  it("gives every product a unique, well-formed SKU numbered per department", () => {
    const skus = catalog.products.map((p) => p.sku);
    expect(new Set(skus).size).toBe(skus.length);
    expect(skus.filter((sku) => !SKU_PATTERN.test(sku))).toEqual([]);
    for (const department of DEPARTMENTS) {
      const skusOfDepartment = catalog.products.filter((p) => p.category === department.slug).map((p) => p.sku);
      expect(skusOfDepartment).toEqual(
        skusOfDepartment.map((_, i) => `${department.skuPrefix}-${String(i + 1).padStart(6, "0")}`),
      );
    }
  });

  it("prices in integer USD cents within each kind's plausible range", () => {
    const outOfRange = catalog.products.filter((product) => {
      const kinds = DEPARTMENTS.find((d) => d.slug === product.category)?.kinds ?? [];
      const low = Math.min(...kinds.map((k) => k[1])) * 100;
      const high = Math.max(...kinds.map((k) => k[2])) * 100 + 99;
      const { amountMinor, currency } = product.price;
      return currency !== "USD" || !Number.isSafeInteger(amountMinor) || amountMinor < low || amountMinor > high;
    });
    expect(outOfRange).toEqual([]);
    const median = (category: string) => {
      const prices = catalog.products.filter((p) => p.category === category).map((p) => p.price.amountMinor);
      return prices.sort((a, b) => a - b)[Math.floor(prices.length / 2)] ?? 0;
    };
    expect(median("electronics")).toBeGreaterThan(median("grocery") * 3);
    expect(catalog.products.filter((p) => p.price.amountMinor % 100 === 99).length).toBeGreaterThan(2_000);
  });

  it("names products after their department's brands and nouns, and media after titles and formats", () => {
    const mediaFormats: Record<string, readonly string[]> = {
      books: BOOK_FORMATS,
      music: ALBUM_FORMATS,
      movies: MOVIE_FORMATS,
      "video-games": GAME_PLATFORMS,
    };
    const misfits = catalog.products.filter((product) => {
      const department = DEPARTMENTS.find((d) => d.slug === product.category);
      if (department === undefined) return true;
      const formats = mediaFormats[department.slug];
      if (formats !== undefined) return !formats.some((format) => product.name.endsWith(`(${format})`));
      const base = product.name.replace(/ - [^-]+$/, "");
      const noun = department.kinds.find(([n]) => base.endsWith(n))?.[0];
      return (
        noun === undefined ||
        !department.brands.some((brand) => base.startsWith(`${brand} `)) ||
        !product.description.includes(noun.toLowerCase())
      );
    });
    expect(misfits).toEqual([]);
    expect(catalog.products.filter((p) => p.description.split(". ").length < 3)).toEqual([]);
    expect(catalog.products.some((p) => p.name.endsWith("Wireless Headphones"))).toBe(true);
    expect(catalog.products.some((p) => p.name.includes("Stainless Steel Skillet"))).toBe(true);
  });

  it("gives 1–3 image URLs named after the SKU and a stock of 0 or 5..200, mostly in stock", () => {
    const badImages = catalog.products.filter(
      (p) =>
        p.images.length < 1 ||
        p.images.length > 3 ||
        p.images.some((url, i) => url !== `${DEMO_IMAGE_BASE_URL}/${p.sku}-${i + 1}.jpg`),
    );
    expect(badImages).toEqual([]);
    const badStock = catalog.products.filter(
      (p) =>
        !Number.isInteger(p.initialStock) || (p.initialStock !== 0 && (p.initialStock < 5 || p.initialStock > 200)),
    );
    expect(badStock).toEqual([]);
    const soldOut = catalog.products.filter((p) => p.initialStock === 0).length;
    expect(soldOut).toBeGreaterThan(0);
    expect(soldOut).toBeLessThan(catalog.products.length * 0.1);
  });

  it("passes the product rules the store enforces", () => {
    expect(() => assertValidProducts(catalog.products)).not.toThrow();
  });

  it("refuses a count outside 1..100,000", async () => {
    const faker = await createDemoFaker();
    for (const count of [0, -1, 2.5, MAX_DEMO_PRODUCTS + 1]) {
      expect(() => generateDemoCatalog(faker, count)).toThrow(RangeError);
    }
    expect(generateDemoCatalog(faker, 3).products).toHaveLength(3);
  });
});
