import { describe, expect, it } from "vitest";
import type { SoukError } from "@souk/platform";
import { requestFingerprint } from "./idempotency.ts";
import { assertCancellable, orderTotal, validateCheckout, type Order, type OrderLine } from "./order.ts";

const line = (amountMinor: number, currency = "USD"): OrderLine => ({
  productId: "p",
  sku: "s",
  name: "n",
  quantity: 1,
  unitPrice: { amountMinor, currency },
  lineTotal: { amountMinor, currency },
});
const address = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const card = { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" };

describe("order rules", () => {
  it("totals lines in minor units and refuses empty or mixed-currency carts", () => {
    expect(orderTotal([line(1999), line(1)])).toEqual({ amountMinor: 2000, currency: "USD" });
    expect(() => orderTotal([])).toThrow(/empty/);
    expect(() => orderTotal([line(1), line(1, "EUR")])).toThrow(/currency/);
  });

  it("names every bad checkout field", () => {
    try {
      validateCheckout("", { ...address, city: " ", country: "usa" });
      expect.unreachable();
    } catch (error) {
      expect((error as SoukError).fields.map((f) => f.field)).toEqual([
        "idempotency_key",
        "shipping_address.city",
        "shipping_address.country",
      ]);
    }
  });

  it("fingerprints requests with a key: same request same print, any change differs", () => {
    const a = requestFingerprint("k".repeat(16), card, address);
    expect(requestFingerprint("k".repeat(16), { ...card, number: "4242 4242 4242 4242" }, address)).toBe(a);
    expect(requestFingerprint("k".repeat(16), { ...card, cvc: "124" }, address)).not.toBe(a);
    expect(requestFingerprint("k".repeat(16), card, { ...address, city: "Shelbyville" })).not.toBe(a);
    expect(requestFingerprint("other-key-000000", card, address)).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("only a confirmed, captured order can be cancelled", () => {
    const base = {
      status: "CONFIRMED",
      saga: { phase: "done", step: 0, attempts: 0, nextAttemptAt: new Date() },
    } as const;
    expect(() => assertCancellable(base as unknown as Order)).not.toThrow();
    expect(() => assertCancellable({ ...base, status: "PENDING" } as unknown as Order)).toThrow(/being processed/);
    expect(() =>
      assertCancellable({ ...base, saga: { ...base.saga, phase: "capturing" } } as unknown as Order),
    ).toThrow(/captured/);
    expect(() => assertCancellable({ ...base, status: "REFUNDED" } as unknown as Order)).toThrow(/refunded/);
  });
});
