import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import { encodeCursor } from "./cursor.ts";
import {
  DEFAULT_PAGE_SIZE,
  isImpossibleCategory,
  listingCacheKey,
  MAX_QUERY_LENGTH,
  parseListing,
  type ListingRequest,
} from "./listing.ts";

const request = (overrides: Partial<ListingRequest> = {}): ListingRequest => ({
  query: "",
  category: "",
  limit: 0,
  cursor: "",
  ...overrides,
});

function rejection(overrides: Partial<ListingRequest>): SoukError {
  try {
    parseListing(request(overrides));
  } catch (error) {
    expect(error).toBeInstanceOf(SoukError);
    return error as SoukError;
  }
  return expect.unreachable("expected the request to be rejected");
}

describe("listing requests", () => {
  it("defaults a 0 limit to 20 and accepts 1..100", () => {
    expect(parseListing(request()).limit).toBe(DEFAULT_PAGE_SIZE);
    expect(parseListing(request({ limit: 1 })).limit).toBe(1);
    expect(parseListing(request({ limit: 100 })).limit).toBe(100);
  });

  it("refuses other limits on field `limit`", () => {
    for (const limit of [-1, 101, 1.5, 2 ** 31 - 1]) {
      const error = rejection({ limit });
      expect(error).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_LIMIT" });
      expect(error.fields.map((f) => f.field)).toEqual(["limit"]);
    }
  });

  it("refuses a query longer than 200 characters, counting code points", () => {
    expect(parseListing(request({ query: "🎧".repeat(MAX_QUERY_LENGTH) })).text).toHaveLength(MAX_QUERY_LENGTH * 2);
    const error = rejection({ query: "a".repeat(MAX_QUERY_LENGTH + 1) });
    expect(error).toMatchObject({ kind: "invalid_argument", code: "CATALOG_INVALID_QUERY" });
    expect(error.fields.map((f) => f.field)).toEqual(["query"]);
    expect(rejection({ query: " ".repeat(MAX_QUERY_LENGTH + 1) }).code).toBe("CATALOG_INVALID_QUERY");
  });

  it("browses on an empty or blank query and searches otherwise, collapsing whitespace", () => {
    expect(parseListing(request({ query: "   " }))).toMatchObject({ mode: "browse", text: "" });
    expect(parseListing(request({ query: "  red \t mug " }))).toMatchObject({ mode: "search", text: "red mug" });
    expect(parseListing(request({ query: "red mug" })).fingerprint).toBe(
      parseListing(request({ query: " red  mug" })).fingerprint,
    );
  });

  it("treats an empty category as all and keeps a slug", () => {
    expect(parseListing(request()).category).toBeUndefined();
    expect(parseListing(request({ category: "books" })).category).toBe("books");
  });

  it("decodes the cursor of the same listing and refuses one of another listing", () => {
    const first = parseListing(request({ query: "mug", category: "home-kitchen" }));
    const cursor = encodeCursor(
      { kind: "search", score: 1.25, id: "0190a6c4-1b2c-7d3e-8f40-123456789abc" },
      first.fingerprint,
    );
    expect(parseListing(request({ query: "mug", category: "home-kitchen", cursor })).after).toEqual({
      kind: "search",
      score: 1.25,
      id: "0190a6c4-1b2c-7d3e-8f40-123456789abc",
    });
    const error = rejection({ query: "mug", cursor });
    expect(error.code).toBe("CATALOG_INVALID_CURSOR");
    expect(error.fields.map((f) => f.field)).toEqual(["cursor"]);
  });

  it("knows a malformed category slug can hold nothing", () => {
    expect(isImpossibleCategory(undefined)).toBe(false);
    expect(isImpossibleCategory("video-games")).toBe(false);
    expect(isImpossibleCategory("Video Games")).toBe(true);
    expect(isImpossibleCategory("books'; drop table products;--")).toBe(true);
  });

  it("gives one cache key per distinct page: normalized like the parser, everything else apart", () => {
    const key = (overrides: Partial<ListingRequest>) => listingCacheKey(parseListing(request(overrides)));
    const [idA, idB] = ["0197a000-0000-7000-8000-000000000001", "0197a000-0000-7000-8000-000000000002"];
    const searchFingerprint = parseListing(request({ query: "red mug" })).fingerprint;
    const afterScore = (score: number, id: string) => encodeCursor({ kind: "search", score, id }, searchFingerprint);
    const afterName = encodeCursor({ kind: "browse", name: "Mug", id: idA }, parseListing(request()).fingerprint);

    expect(key({ query: "  red   mug ", limit: 0 })).toBe(key({ query: "red mug", limit: DEFAULT_PAGE_SIZE }));
    expect(key({ category: " books " })).toBe(key({ category: "books" }));
    const distinct = [
      key({}),
      key({ limit: 21 }),
      key({ category: "books" }),
      key({ cursor: afterName }),
      key({ query: "red mug" }),
      key({ query: "Red mug" }), // the page's cursors carry a case-sensitive fingerprint
      key({ query: "red mug", category: "books" }),
      key({ query: "red mug", cursor: afterScore(0.5, idA) }),
      key({ query: "red mug", cursor: afterScore(0.25, idA) }),
      key({ query: "red mug", cursor: afterScore(0.5, idB) }),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });
});
