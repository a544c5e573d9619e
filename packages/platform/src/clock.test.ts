import { describe, expect, it } from "vitest";
import { UUID } from "uuidv7";
import { isUuid, newId, uuidText } from "./clock.ts";

describe("newId", () => {
  it("makes distinct UUIDv7 ids in increasing order, past many refills of its random pool", () => {
    const before = Date.now();
    const made = Array.from({ length: 20_000 }, () => newId());
    const after = Date.now();
    expect(new Set(made).size).toBe(made.length);
    for (const id of made) {
      expect(isUuid(id)).toBe(true);
      // Version 7 (RFC 9562 §5.7) and the RFC's variant (10xx).
      expect(id[14]).toBe("7");
      expect("89ab").toContain(id[19]);
    }
    // Lowercase canonical text sorts as the 128-bit value: each id after the one before.
    expect([...made].sort()).toEqual(made);
    // The first 48 bits are the Unix time in ms when made.
    const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(msOf(made[0]!)).toBeGreaterThanOrEqual(before);
    expect(msOf(made.at(-1)!)).toBeLessThanOrEqual(after + 1);
  });

  it("draws its random bits evenly: each hex digit of the random field about as often as the others", () => {
    const counts = new Map<string, number>();
    // The last 8 hex digits (32 bits) are random in every id (uuidv7 puts its counter before them).
    for (let i = 0; i < 5_000; i += 1)
      for (const digit of newId().slice(28)) counts.set(digit, (counts.get(digit) ?? 0) + 1);
    expect(counts.size).toBe(16);
    // 40,000 digits: 2,500 expected per digit (σ ≈ 48); a fair source stays well within ±10 %.
    for (const count of counts.values()) expect(Math.abs(count - 2_500)).toBeLessThan(250);
  });
});

describe("uuidText", () => {
  it("writes a UUID's 16 bytes as uuidv7's toString does, for any byte values", () => {
    const cases = [
      new Uint8Array(16),
      new Uint8Array(16).fill(0xff),
      Uint8Array.from({ length: 16 }, (_, i) => i * 17),
    ];
    for (let i = 0; i < 2_000; i++) cases.push(crypto.getRandomValues(new Uint8Array(16)));
    for (const bytes of cases) expect(uuidText(bytes)).toBe(UUID.ofInner(bytes).toString());
    expect(
      uuidText(Uint8Array.from([0x01, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x7f, 0x45, 0x89, 0xab, 0xcd, 0xef, 0, 1, 2, 3])),
    ).toBe("019abcde-f012-7f45-89ab-cdef00010203");
  });

  it("refuses anything but 16 bytes", () => {
    expect(() => uuidText(new Uint8Array(15))).toThrow(RangeError);
    expect(() => uuidText(new Uint8Array(17))).toThrow("a UUID has 16 bytes, got 17");
  });
});
