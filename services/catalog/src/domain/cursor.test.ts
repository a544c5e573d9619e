import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import { decodeCursor, encodeCursor, listingFingerprint, MAX_CURSOR_LENGTH, type ListingPosition } from "./cursor.ts";

const ID = "0190a6c4-1b2c-7d3e-8f40-123456789abc";
const browseFp = listingFingerprint("", "");
const searchFp = listingFingerprint("wireless headphones", "electronics");

function rejection(run: () => unknown): SoukError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SoukError);
    return error as SoukError;
  }
  return expect.unreachable("expected the cursor to be rejected");
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("cursor", () => {
  it("round-trips browse positions, including non-ASCII names", () => {
    for (const name of ["Auralis Wireless Headphones", "Crème brûlée Torch — 日本", ""]) {
      const position: ListingPosition = { kind: "browse", name, id: ID };
      const cursor = encodeCursor(position, browseFp);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, browseFp, "browse")).toEqual(position);
    }
  });

  it("round-trips search scores exactly (float8 keys compare with =)", () => {
    for (const score of [1.638323426246643, 0.30000000149011613, 0, 5e-324, 2.5]) {
      const position: ListingPosition = { kind: "search", score, id: ID };
      const decoded = decodeCursor(encodeCursor(position, searchFp), searchFp, "search");
      expect(decoded).toEqual(position);
      expect(decoded.kind === "search" && Object.is(decoded.score, score)).toBe(true);
    }
  });

  it("rejects garbage with CATALOG_INVALID_CURSOR on field `cursor`", () => {
    const garbage = [
      "!!!",
      "not a cursor",
      "e30=",
      Buffer.from("not json").toString("base64url"),
      b64([1, 2, 3]),
      b64("text"),
      b64(null),
      b64({ v: 2, f: browseFp, k: "b", n: "x", i: ID }),
      b64({ v: 1, f: browseFp, k: "b", n: 42, i: ID }),
      b64({ v: 1, f: browseFp, k: "b", n: "x", i: "not-a-uuid" }),
      b64({ v: 1, f: browseFp, k: "x", n: "x", i: ID }),
      "A".repeat(MAX_CURSOR_LENGTH + 4),
    ];
    for (const cursor of garbage) {
      const error = rejection(() => decodeCursor(cursor, browseFp, "browse"));
      expect(error).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_CURSOR" });
      expect(error.fields.map((f) => f.field)).toEqual(["cursor"]);
    }
  });

  it("rejects a non-finite or missing score", () => {
    for (const s of [null, "1.5", undefined]) {
      const cursor = b64({ v: 1, f: searchFp, k: "s", s, i: ID });
      expect(rejection(() => decodeCursor(cursor, searchFp, "search")).code).toBe("CATALOG_INVALID_CURSOR");
    }
  });

  it("refuses a cursor replayed against another query, category or mode", () => {
    const cursor = encodeCursor({ kind: "search", score: 1, id: ID }, searchFp);
    expect(
      rejection(() => decodeCursor(cursor, listingFingerprint("headphones", "electronics"), "search")).message,
    ).toMatch(/another query or category/);
    expect(rejection(() => decodeCursor(cursor, listingFingerprint("wireless headphones", ""), "search")).code).toBe(
      "CATALOG_INVALID_CURSOR",
    );
    expect(rejection(() => decodeCursor(cursor, searchFp, "browse")).code).toBe("CATALOG_INVALID_CURSOR");
  });

  it("fingerprints differ between query and category that only concatenate alike", () => {
    expect(listingFingerprint("ab", "c")).not.toBe(listingFingerprint("a", "bc"));
    expect(listingFingerprint("mug", "")).toBe(listingFingerprint("mug", ""));
    expect(listingFingerprint("mug", "")).toMatch(/^[0-9a-f]{8}$/);
  });
});
