import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import {
  checkWrittenLine,
  priceCart,
  requireCartCurrency,
  requireProduct,
  requireProductId,
  requireQuantity,
  requireUserId,
  type CartItem,
  type CartPolicy,
  type Product,
} from "./cart.ts";

const policy: CartPolicy = { currency: "USD", maxLines: 3, maxQuantityPerLine: 99 };
const at = new Date("2026-01-01T00:00:00Z");
const item = (productId: string, quantity: number): CartItem => ({ productId, quantity, addedAt: at });
const product = (id: string, amountMinor: number, currency = "USD"): Product => ({
  id,
  sku: `SKU-${id}`,
  name: `Product ${id}`,
  price: { amountMinor, currency },
});
const catalogOf = (...products: Product[]) => new Map(products.map((p) => [p.id, p]));

function caught(fn: () => unknown): SoukError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SoukError) return error;
    throw error;
  }
  throw new Error("expected a SoukError");
}

describe("request validation", () => {
  it("accepts integer quantities from 1 to the per-line maximum", () => {
    expect(requireQuantity(1, policy)).toBe(1);
    expect(requireQuantity(99, policy)).toBe(99);
  });

  it.each([0, -1, 100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 63])(
    "refuses quantity %s as CART_INVALID_QUANTITY on field quantity",
    (quantity) => {
      const error = caught(() => requireQuantity(quantity, policy));
      expect(error).toMatchObject({ kind: "invalid_argument", code: "CART_INVALID_QUANTITY" });
      expect(error.fields).toEqual([{ field: "quantity", message: "must be an integer from 1 to 99" }]);
    },
  );

  it("refuses empty or oversized ids, naming the field", () => {
    expect(caught(() => requireProductId(" "))).toMatchObject({
      kind: "invalid_argument",
      code: "CART_INVALID_PRODUCT_ID",
      fields: [{ field: "product_id", message: "must not be empty" }],
    });
    expect(caught(() => requireUserId(""))).toMatchObject({
      code: "CART_INVALID_USER_ID",
      fields: [{ field: "user_id", message: "must not be empty" }],
    });
    expect(caught(() => requireUserId("u".repeat(129)))).toMatchObject({ code: "CART_INVALID_USER_ID" });
    expect(requireUserId("u".repeat(128))).toHaveLength(128);
    expect(requireProductId("01A2133D-6887-73E6-A212-9AE9B4ED3702")).toBe("01a2133d-6887-73e6-a212-9ae9b4ed3702");
  });

  it("finds a product among the catalog's answer or fails with CART_PRODUCT_NOT_FOUND", () => {
    expect(requireProduct([product("a", 1), product("b", 2)], "b").id).toBe("b");
    expect(requireProduct([product("AB", 1)], "ab").id).toBe("AB");
    expect(caught(() => requireProduct([product("a", 1)], "zzz"))).toMatchObject({
      kind: "not_found",
      code: "CART_PRODUCT_NOT_FOUND",
    });
  });

  it("refuses a product priced in another currency than the cart", () => {
    expect(() => requireCartCurrency(product("a", 100), "USD")).not.toThrow();
    expect(caught(() => requireCartCurrency(product("a", 100, "EUR"), "USD"))).toMatchObject({
      kind: "failed_precondition",
      code: "CART_CURRENCY_MISMATCH",
    });
  });
});

describe("pricing", () => {
  it("multiplies unit prices by quantities and sums them exactly in minor units", () => {
    const cart = priceCart(
      [item("a", 3), item("b", 1), item("c", 7)],
      catalogOf(product("a", 1999), product("b", 5), product("c", 333)),
      "USD",
    );
    expect(cart.lines.map((l) => [l.productId, l.quantity, l.unitPrice.amountMinor, l.lineTotal.amountMinor])).toEqual([
      ["a", 3, 1999, 5997],
      ["b", 1, 5, 5],
      ["c", 7, 333, 2331],
    ]);
    expect(cart.total).toEqual({ amountMinor: 5997 + 5 + 2331, currency: "USD" });
    expect(cart.lines[0]).toMatchObject({ sku: "SKU-a", name: "Product a", lineTotal: { currency: "USD" } });
  });

  it("prices an empty cart at 0 in the cart's currency", () => {
    expect(priceCart([], new Map(), "EUR")).toEqual({ lines: [], total: { amountMinor: 0, currency: "EUR" } });
  });

  it("drops lines whose product left the catalog, from the lines and the total", () => {
    const cart = priceCart([item("gone", 2), item("a", 2)], catalogOf(product("a", 250)), "USD");
    expect(cart.lines.map((l) => l.productId)).toEqual(["a"]);
    expect(cart.total.amountMinor).toBe(500);
  });

  it("refuses to total a cart holding a product priced in another currency", () => {
    expect(
      caught(() => priceCart([item("a", 1), item("b", 1)], catalogOf(product("a", 1), product("b", 1, "EUR")), "USD")),
    ).toMatchObject({ kind: "failed_precondition", code: "CART_CURRENCY_MISMATCH" });
  });

  it("refuses a total that a double cannot hold exactly", () => {
    expect(() => priceCart([item("a", 99)], catalogOf(product("a", Number.MAX_SAFE_INTEGER)), "USD")).toThrow(
      RangeError,
    );
  });
});

describe("limits of a written line", () => {
  const written = (items: CartItem[], productId: string, created: boolean) => ({
    items,
    line: items.find((i) => i.productId === productId) ?? item(productId, 0),
    created,
  });
  const plenty = { sku: "SKU-x", available: 1000 };

  it("lets a cart reach its line limit but not pass it with a new line", () => {
    const three = [item("a", 1), item("b", 1), item("c", 1)];
    expect(() => checkWrittenLine(written(three, "c", true), plenty, policy)).not.toThrow();
    expect(caught(() => checkWrittenLine(written([...three, item("d", 1)], "d", true), plenty, policy))).toMatchObject({
      kind: "failed_precondition",
      code: "CART_TOO_MANY_LINES",
    });
  });

  it("still lets an existing line change in a cart above its line limit (the limit was lowered)", () => {
    const four = [item("a", 1), item("b", 1), item("c", 1), item("d", 5)];
    expect(() => checkWrittenLine(written(four, "d", false), plenty, policy)).not.toThrow();
  });

  it("caps the summed quantity of a line at the per-line maximum", () => {
    expect(() => checkWrittenLine(written([item("a", 99)], "a", false), plenty, policy)).not.toThrow();
    expect(caught(() => checkWrittenLine(written([item("a", 100)], "a", false), plenty, policy))).toMatchObject({
      kind: "failed_precondition",
      code: "CART_QUANTITY_LIMIT",
    });
  });

  it("caps a line at the available stock of its SKU", () => {
    const stock = { sku: "SKU-a", available: 4 };
    expect(() => checkWrittenLine(written([item("a", 4)], "a", false), stock, policy)).not.toThrow();
    const error = caught(() => checkWrittenLine(written([item("a", 5)], "a", false), stock, policy));
    expect(error).toMatchObject({ kind: "failed_precondition", code: "CART_INSUFFICIENT_STOCK" });
    expect(error.message).toBe("only 4 of SKU-a available; the line would hold 5");
  });
});
