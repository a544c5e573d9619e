import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import {
  assertValidProducts,
  changeProduct,
  isValidCurrency,
  isValidPriceAmount,
  isValidSku,
  productViolations,
  type Product,
  type ProductFields,
} from "./product.ts";

const valid: ProductFields = {
  sku: "ELEC-000123",
  name: "Auralis Wireless Headphones",
  description: "Over-ear.",
  category: "electronics",
  price: { amountMinor: 12_999, currency: "USD" },
  images: ["https://images.souk.example/products/ELEC-000123-1.jpg"],
};

describe("product rules", () => {
  it("accepts a well-formed product", () => {
    expect(productViolations(valid)).toEqual([]);
    expect(() => assertValidProducts([valid])).not.toThrow();
  });

  it("checks the SKU format", () => {
    expect(isValidSku("ELEC-000123")).toBe(true);
    expect(isValidSku("AB-000001")).toBe(true);
    for (const sku of ["elec-000123", "ELEC-12345", "ELEC000123", "ELECTR-000123", "E-000001", "ELEC-0001234"]) {
      expect(isValidSku(sku)).toBe(false);
    }
  });

  it("checks prices are non-negative safe integers of minor units in an ISO 4217 code", () => {
    expect(isValidPriceAmount(0)).toBe(true);
    expect(isValidPriceAmount(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const amount of [-1, 19.99, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(isValidPriceAmount(amount)).toBe(false);
    }
    expect(isValidCurrency("USD")).toBe(true);
    for (const currency of ["usd", "US", "USDT", "U$D", ""]) expect(isValidCurrency(currency)).toBe(false);
  });

  it("names every broken field under the given path", () => {
    const broken: ProductFields = {
      sku: "bad",
      name: "  ",
      description: "",
      category: "Home & Kitchen",
      price: { amountMinor: -5, currency: "usd" },
      images: ["http://insecure.example/a.jpg", "not a url"],
    };
    expect(productViolations(broken, "products[2]").map((v) => v.field)).toEqual([
      "products[2].sku",
      "products[2].name",
      "products[2].category",
      "products[2].price.amount_minor",
      "products[2].price.currency",
      "products[2].images[0]",
      "products[2].images[1]",
    ]);
  });

  it("refuses a name over 200 characters and more than 10 images", () => {
    const fields = productViolations({
      ...valid,
      name: "x".repeat(201),
      images: Array.from({ length: 11 }, (_, i) => `https://img.example/${i}.jpg`),
    }).map((v) => v.field);
    expect(fields).toEqual(["name", "images"]);
  });

  it("refuses duplicate SKUs in one batch with CATALOG_INVALID_PRODUCT", () => {
    try {
      assertValidProducts([valid, { ...valid, name: "Other" }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SoukError);
      expect(error).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_PRODUCT" });
      expect((error as SoukError).fields).toEqual([{ field: "products[1].sku", message: "is a duplicate" }]);
    }
  });
});

describe("changing a product", () => {
  const current: Product = {
    ...valid,
    id: "0190a6c4-1b2c-7d3e-8f40-123456789abc",
    createdAt: new Date("2026-01-01T00:00:00Z"),
    updatedAt: new Date("2026-01-01T00:00:00Z"),
  };
  const at = new Date("2026-02-01T00:00:00Z");

  it("replaces only the fields given, keeps id, SKU and createdAt, and stamps updatedAt", () => {
    expect(changeProduct(current, { price: { amountMinor: 9_999, currency: "USD" } }, at)).toEqual({
      ...current,
      price: { amountMinor: 9_999, currency: "USD" },
      updatedAt: at,
    });
    expect(changeProduct(current, {}, at)).toEqual({ ...current, updatedAt: at });
  });

  it("checks the changed product with the product rules, naming every bad field", () => {
    try {
      changeProduct(current, { name: "", category: "Not A Slug", images: ["ftp://x"] }, at);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_PRODUCT" });
      expect((error as SoukError).fields.map((f) => f.field)).toEqual(["name", "category", "images[0]"]);
    }
  });
});
