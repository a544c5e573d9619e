import { availableParallelism } from "node:os";
import { hash } from "@node-rs/argon2";
import { beforeAll, describe, expect, it } from "vitest";
import type { PasswordHasher } from "../domain/user.ts";
import { createPasswordHasher } from "./password.hasher.ts";

describe("argon2id password hasher", () => {
  let hasher: PasswordHasher;
  beforeAll(async () => {
    hasher = await createPasswordHasher();
  });

  it("hashes with argon2id m=19456 KiB, t=2, p=1 and a fresh salt each time", async () => {
    const first = await hasher.hash("correct horse battery");
    const second = await hasher.hash("correct horse battery");
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(second).not.toBe(first);
    expect(hasher.needsRehash(first)).toBe(false);
  });

  it("verifies the right password only", async () => {
    const encoded = await hasher.hash("correct horse battery");
    expect(await hasher.verify(encoded, "correct horse battery")).toBe(true);
    expect(await hasher.verify(encoded, "correct horse batterY")).toBe(false);
    expect(await hasher.verify(encoded, "")).toBe(false);
  });

  it("answers false for a missing user after doing the same work", async () => {
    expect(await hasher.verify(undefined, "correct horse battery")).toBe(false);
    expect(await hasher.verify(undefined, "")).toBe(false);
  });

  it("asks for a rehash of hashes made with other parameters", async () => {
    expect(hasher.needsRehash(await hash("pw", { memoryCost: 4096, timeCost: 3, parallelism: 1 }))).toBe(true);
    expect(hasher.needsRehash(await hash("pw", { memoryCost: 19_456, timeCost: 2, parallelism: 2 }))).toBe(true);
    expect(
      hasher.needsRehash(await hash("pw", { algorithm: 1, memoryCost: 19_456, timeCost: 2, parallelism: 1 })),
    ).toBe(true);
  });

  it("runs at most maxConcurrent hashes and verifications at once; the rest wait their turn", async () => {
    const bounded = await createPasswordHasher({ maxConcurrent: 1 });
    const encoded = await bounded.hash("correct horse battery");
    expect(bounded.load()).toEqual({ running: 0, queued: 0 });

    const finished: string[] = [];
    const first = bounded.hash("first").then((value) => (finished.push("hash first"), value));
    const matched = bounded.verify(encoded, "correct horse battery").then((value) => (finished.push("verify"), value));
    const third = bounded.hash("third").then((value) => (finished.push("hash third"), value));
    expect(bounded.load()).toEqual({ running: 1, queued: 2 });

    await Promise.all([first, matched, third]);
    expect(finished).toEqual(["hash first", "verify", "hash third"]);
    expect(await matched).toBe(true);
    expect(await bounded.verify(await first, "first")).toBe(true);
    expect(await bounded.verify(await third, "third")).toBe(true);
    expect(bounded.load()).toEqual({ running: 0, queued: 0 });
  });

  it("by default runs as many at once as the process has CPUs", async () => {
    const hasher = await createPasswordHasher();
    const cpus = availableParallelism();
    const calls = Array.from({ length: cpus + 1 }, (_, i) => hasher.hash(`password ${i}`));
    expect(hasher.load()).toEqual({ running: cpus, queued: 1 });
    await Promise.all(calls);
    expect(hasher.load()).toEqual({ running: 0, queued: 0 });
  });

  it("refuses a bound that is not a positive integer", async () => {
    await expect(createPasswordHasher({ maxConcurrent: 0 })).rejects.toThrow(RangeError);
    await expect(createPasswordHasher({ maxConcurrent: 1.5 })).rejects.toThrow(/positive integer, got 1.5/);
  });
});
