import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decideRefresh,
  hashRefreshToken,
  isWellFormedRefreshToken,
  mintRefreshToken,
  type RefreshTokenState,
} from "./refresh-token.ts";

const now = new Date("2026-01-01T00:00:00Z");
const fresh: RefreshTokenState = {
  tokenHash: "h",
  userId: "u",
  familyId: "f",
  expiresAt: new Date("2026-01-31T00:00:00Z"),
  usedAt: undefined,
  revokedAt: undefined,
};

describe("refresh token rotation decision", () => {
  it("rotates an unused, unrevoked, unexpired token", () => {
    expect(decideRefresh(fresh, now)).toBe("rotate");
  });

  it("treats an unknown token as invalid", () => {
    expect(decideRefresh(undefined, now)).toBe("invalid");
  });

  it("treats a spent token as reuse — even when it is also revoked or expired", () => {
    const used = { ...fresh, usedAt: new Date("2025-12-31T00:00:00Z") };
    expect(decideRefresh(used, now)).toBe("reuse");
    expect(decideRefresh({ ...used, revokedAt: now }, now)).toBe("reuse");
    expect(decideRefresh(used, new Date("2026-02-15T00:00:00Z"))).toBe("reuse");
  });

  it("treats a revoked token as invalid", () => {
    expect(decideRefresh({ ...fresh, revokedAt: now }, now)).toBe("invalid");
  });

  it("expires a token exactly at its expiry", () => {
    expect(decideRefresh(fresh, new Date("2026-01-30T23:59:59.999Z"))).toBe("rotate");
    expect(decideRefresh(fresh, new Date("2026-01-31T00:00:00Z"))).toBe("invalid");
  });
});

describe("refresh token secrets", () => {
  it("stores only the SHA-256 of the secret, and expires it ttl seconds from now", () => {
    const secret = "A".repeat(43);
    const minted = mintRefreshToken(secret, now, 30 * 24 * 3600);
    expect(minted.token).toBe(secret);
    expect(minted.tokenHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(minted.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(minted.expiresAt).toEqual(new Date("2026-01-31T00:00:00Z"));
    expect(hashRefreshToken(secret)).toBe(minted.tokenHash);
  });

  it("recognizes the shape of 32 random bytes in base64url", () => {
    expect(isWellFormedRefreshToken("Ab-_".repeat(10) + "xyz")).toBe(true);
    expect(isWellFormedRefreshToken("A".repeat(42))).toBe(false);
    expect(isWellFormedRefreshToken("A".repeat(44))).toBe(false);
    expect(isWellFormedRefreshToken("A".repeat(42) + "=")).toBe(false);
    expect(isWellFormedRefreshToken("A".repeat(42) + "/")).toBe(false);
    expect(isWellFormedRefreshToken("")).toBe(false);
  });
});
