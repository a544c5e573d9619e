import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyRateLimitStore } from "@fastify/rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, openRedis, waitForRedis } from "@souk/platform";
import { closedPort, openTestRedis, testLogger, type TestRedis } from "@souk/platform/testing";
import { syncedRateLimitStore } from "./rate-limit.store.ts";

/** `store.incr` as a promise: the window's count with this request, and ms left. */
function incr(store: FastifyRateLimitStore, key: string, max: number, windowMs = 60_000) {
  return new Promise<{ current: number; ttl: number }>((resolve, reject) => {
    store.incr(
      key,
      (error, answer) =>
        error === null && answer !== undefined ? resolve(answer) : reject(error ?? new Error("no answer")),
      windowMs,
      max,
    );
  });
}

describe("syncedRateLimitStore (real Redis)", () => {
  let redis: TestRedis;
  const opened: { close: () => Promise<void> }[] = [];
  /** A replica's store on the shared Redis, closed after the suite. */
  const replica = (syncIntervalMs = 30) => {
    const counters = syncedRateLimitStore({ redis: redis.redis, prefix: "limits:", syncIntervalMs });
    opened.push(counters);
    return { store: new counters.Store({}), close: counters.close };
  };
  /** The count Redis holds for `key` (0 when none). */
  const inRedis = async (key: string) => Number((await redis.redis.get(`limits:${key}`)) ?? 0);

  beforeAll(async () => {
    redis = await openTestRedis("rate-limit-store");
  });
  afterAll(async () => {
    await Promise.all(opened.map((counters) => counters.close()));
    await redis.deleteKeys();
    await closeRedis(redis.redis);
  });

  it("counts below half the limit here, and adds those counts to Redis at the next sync", async () => {
    const a = replica();
    const b = replica();
    expect((await incr(a.store, "ip:1", 1_000)).current).toBe(1); // a new window: counted in Redis
    for (let expected = 2; expected <= 10; expected += 1) {
      expect((await incr(a.store, "ip:1", 1_000)).current).toBe(expected);
    }
    expect(await inRedis("ip:1")).toBe(1); // the nine others are still counted here only
    await sleep(120);
    expect(await inRedis("ip:1")).toBe(10);
    const fromB = await incr(b.store, "ip:1", 1_000); // the other replica's first request sees them
    expect(fromB.current).toBe(11);
    expect(fromB.ttl).toBeGreaterThan(59_000);
  });

  it("counts every request in Redis once past half the limit: two replicas together refuse past it", async () => {
    const replicas = [replica(), replica()];
    const counts: number[] = [];
    for (let i = 0; i < 40; i += 1) counts.push((await incr(replicas[i % 2]!.store, "ip:2", 10)).current);
    const allowed = counts.filter((count) => count <= 10).length;
    // Each replica counts at most half the limit on its own before asking Redis.
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(15);
    expect(counts.slice(-10).every((count) => count > 10)).toBe(true);
    await sleep(120);
    expect(await inRedis("ip:2")).toBe(40); // nothing lost
  });

  it("starts a new window once the last one ends", async () => {
    const { store } = replica();
    await incr(store, "ip:3", 1_000, 150);
    await incr(store, "ip:3", 1_000, 150);
    expect((await incr(store, "ip:3", 1_000, 150)).current).toBe(3);
    await sleep(250);
    const answer = await incr(store, "ip:3", 1_000, 150);
    expect(answer.current).toBe(1);
    expect(answer.ttl).toBeGreaterThan(0);
    expect(answer.ttl).toBeLessThanOrEqual(150);
  });

  it("counts a route-level limit (a child store) under the route's own key", async () => {
    const { store } = replica();
    const route = store.child({ routeInfo: { method: "POST", url: "/v1/checkout" } } as never);
    await incr(route, "ip:6", 1_000);
    await incr(store, "ip:6", 1_000);
    expect(await inRedis("POST/v1/checkout-ip:6")).toBe(1);
    expect(await inRedis("ip:6")).toBe(1);
  });

  it("adds what it still counts here to Redis when closed", async () => {
    const { store, close } = replica(60_000); // no sync before close
    for (let i = 0; i < 5; i += 1) await incr(store, "ip:4", 1_000);
    expect(await inRedis("ip:4")).toBe(1);
    await close();
    expect(await inRedis("ip:4")).toBe(5);
  });

  it("answers Redis's error to the plugin (which lets the request through) when Redis is down", async () => {
    const down = openRedis(`redis://127.0.0.1:${await closedPort()}`, testLogger());
    try {
      await expect(waitForRedis(down, 200)).rejects.toThrow();
      const counters = syncedRateLimitStore({ redis: down, prefix: "limits:", syncIntervalMs: 30 });
      await expect(incr(new counters.Store({}), "ip:5", 10)).rejects.toThrow();
      await counters.close();
    } finally {
      await closeRedis(down);
    }
  });
});
