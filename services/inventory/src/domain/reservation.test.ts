import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import { available, decideCommit, isExpired, normalizeLines, type Reservation } from "./reservation.ts";

const held = (expiresAt: string): Reservation => ({
  orderId: "o-1",
  status: "HELD",
  lines: [{ sku: "A", quantity: 1 }],
  expiresAt: new Date(expiresAt),
});

describe("reservation rules", () => {
  it("merges duplicate SKUs and sorts them so locks are taken in one order", () => {
    expect(
      normalizeLines([
        { sku: "B", quantity: 1 },
        { sku: "A", quantity: 2 },
        { sku: "B", quantity: 3 },
      ]),
    ).toEqual([
      { sku: "A", quantity: 2 },
      { sku: "B", quantity: 4 },
    ]);
  });

  it("names every bad line", () => {
    try {
      normalizeLines([
        { sku: "", quantity: 1 },
        { sku: "A", quantity: 0 },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SoukError);
      expect((error as SoukError).fields.map((f) => f.field)).toEqual(["lines[0].sku", "lines[1].quantity"]);
    }
  });

  it("expires a hold exactly at its expiry and never a committed one", () => {
    const r = held("2026-01-01T00:15:00Z");
    expect(isExpired(r, new Date("2026-01-01T00:14:59.999Z"))).toBe(false);
    expect(isExpired(r, new Date("2026-01-01T00:15:00Z"))).toBe(true);
    expect(isExpired({ ...r, status: "COMMITTED" }, new Date("2027-01-01T00:00:00Z"))).toBe(false);
  });

  it("refuses to commit an expired or released hold, and repeats a commit as a no-op", () => {
    const r = held("2026-01-01T00:15:00Z");
    expect(decideCommit(r, new Date("2026-01-01T00:00:00Z"))).toBe("commit");
    expect(decideCommit({ ...r, status: "COMMITTED" }, new Date("2026-01-01T00:00:00Z"))).toBe("noop");
    expect(() => decideCommit(r, new Date("2026-01-01T00:16:00Z"))).toThrow(/expired/);
    expect(() => decideCommit({ ...r, status: "RELEASED" }, new Date("2026-01-01T00:00:00Z"))).toThrow(/expired/);
  });

  it("computes availability as on hand minus reserved", () => {
    expect(available({ sku: "A", onHand: 10, reserved: 4 })).toBe(6);
  });
});
