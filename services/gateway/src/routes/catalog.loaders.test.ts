import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { perTurnLoader } from "@souk/platform";
import { isCollected } from "@souk/platform/testing";
import { keptLoader } from "./catalog.loaders.ts";

/**
 * A clock the test moves by hand, in ms. lru-cache keeps a reading for 1 ms of real time, so
 * `step` waits a little after moving it.
 */
function steppedClock() {
  let nowMs = 1_000;
  return {
    now: () => nowMs,
    step: async (ms: number) => {
      nowMs += ms;
      await sleep(5);
    },
  };
}

/**
 * A load that batches each turn's keys (`perTurnLoader`, as the gateway's loaders do) and
 * records the keys of every call; the answer to `key` in the n-th call is `{ key, call: n }`.
 * `gate(n)` may hold or fail the n-th call.
 */
function recordingLoad(gate: (call: number) => Promise<void> = async () => undefined) {
  const calls: string[][] = [];
  const load = perTurnLoader<string, { key: string; call: number }>(async (keys) => {
    calls.push([...keys]);
    const call = calls.length;
    await gate(call);
    return keys.map((key) => ({ key, call }));
  }, 500);
  return { load, calls };
}

/** Lets the batches scheduled in this turn run and answer. */
const settle = () => sleep(5);

describe("keptLoader", () => {
  it("reuses an answer for its TTL, joins concurrent misses and reloads when asked fresh", async () => {
    const loads: string[] = [];
    const get = keptLoader(
      async (key: string) => {
        loads.push(key);
        return { key, load: loads.length };
      },
      { ttlMs: 60_000, maxEntries: 10 },
    );
    const [a, again] = await Promise.all([get("a"), get("a")]);
    expect(again).toBe(a);
    expect(await get("a")).toBe(a);
    expect(await get("a", true)).toEqual({ key: "a", load: 2 });
    expect(loads).toEqual(["a", "a"]);
  });

  it("lets go of an expired answer nobody asks for again, on the first call a TTL later", async () => {
    const ttlMs = 40;
    const get = keptLoader(async (key: string) => ({ key, payload: new Array<number>(1_000).fill(1) }), {
      ttlMs,
      maxEntries: 10_000,
    });
    // Asked once (a crawl), held here only through a weak reference.
    const crawled = new WeakRef(await get("crawled"));
    await get("read");
    expect(await isCollected(crawled)).toBe(false); // kept for its TTL
    await sleep(ttlMs + 10);
    await get("read"); // the first call a TTL after the last sweep drops what expired
    expect(await isCollected(crawled)).toBe(true);
  });

  it("sweeps without failing a load in flight: a refresh of an expired key still answers", async () => {
    const ttlMs = 20;
    let release = () => undefined as void;
    let loads = 0;
    const get = keptLoader(
      async (key: string) => {
        loads += 1;
        // The second load of "a" waits until the test lets it go.
        if (key === "a" && loads > 1) await new Promise<void>((resolve) => (release = resolve));
        return { key };
      },
      { ttlMs, maxEntries: 10 },
    );
    await get("a");
    await sleep(ttlMs + 5);
    const refreshing = get("a"); // expired: loads again, and hangs there
    await sleep(ttlMs + 5);
    const other = get("b"); // the sweep comes while "a" is still loading
    release();
    expect(await Promise.all([refreshing, other])).toEqual([{ key: "a" }, { key: "b" }]);
  });

  it("reloads what was read, in one call, once half the TTL has passed, answering from what it keeps", async () => {
    const clock = steppedClock();
    const { load, calls } = recordingLoad();
    const get = keptLoader(load, { ttlMs: 1_000, maxEntries: 10, clock });
    await Promise.all([get("a"), get("b"), get("c")]);
    await clock.step(300);
    await Promise.all([get("a"), get("b")]); // read again; "c" is not
    expect(calls).toEqual([["a", "b", "c"]]);

    await clock.step(300); // 600 ms old: past half the TTL
    expect(await get("a")).toEqual({ key: "a", call: 1 }); // the kept answer, at once
    await settle();
    expect(calls).toEqual([
      ["a", "b", "c"],
      ["a", "b"],
    ]); // what was read, in one call
    expect(await get("a")).toEqual({ key: "a", call: 2 });
    expect(await get("b")).toEqual({ key: "b", call: 2 });
    expect(await get("c")).toEqual({ key: "c", call: 1 });

    await clock.step(500); // 1,100 ms: "c" (not reloaded) has expired, "a" lives until 1,600
    expect(await get("c")).toEqual({ key: "c", call: 3 });
    expect(calls[2]).toEqual(["c"]);
    expect(await get("a")).toEqual({ key: "a", call: 2 });
  });

  it("brings forward answers a quarter of the TTL old, and walks at most once a quarter of the TTL", async () => {
    const clock = steppedClock();
    const { load, calls } = recordingLoad();
    const get = keptLoader(load, { ttlMs: 1_000, maxEntries: 10, clock });
    await Promise.all([get("a"), get("d")]);
    await clock.step(300);
    await get("b"); // loaded at 300
    await get("b"); // and read since
    await clock.step(300); // "a" 600 ms old, "b" 300
    await get("a");
    await settle();
    expect(calls).toEqual([["a", "d"], ["b"], ["a", "b"]]); // "b" joined; "d" was not read

    await clock.step(50); // "d" is 650 ms old and read now, 50 ms after the last walk: no new one
    expect(await get("d")).toEqual({ key: "d", call: 1 });
    await settle();
    expect(calls).toHaveLength(3);
    await clock.step(210); // 260 ms after the last walk, "d" 860 ms old: its read walks
    expect(await get("d")).toEqual({ key: "d", call: 1 });
    await settle();
    expect(calls[3]).toEqual(["d"]);
    expect(await get("d")).toEqual({ key: "d", call: 4 });
  });

  it("keeps the answer until its TTL when a reload fails, and then loads for the caller", async () => {
    const clock = steppedClock();
    let failing = false;
    const { load, calls } = recordingLoad(async () => {
      if (failing) throw new Error("inventory is down");
    });
    const get = keptLoader(load, { ttlMs: 1_000, maxEntries: 10, clock });
    await get("a");
    await get("a");
    failing = true;
    await clock.step(600);
    expect(await get("a")).toEqual({ key: "a", call: 1 });
    await settle();
    expect(calls).toHaveLength(2); // the reload went out and failed
    expect(await get("a")).toEqual({ key: "a", call: 1 }); // still kept
    await clock.step(500); // past the TTL of the first load
    await expect(get("a")).rejects.toThrow("inventory is down");
    failing = false;
    expect(await get("a")).toEqual({ key: "a", call: 4 });
  });

  it("does not let a reload's older answer replace a fresh load that overtook it", async () => {
    const clock = steppedClock();
    let releaseReload = () => undefined as void;
    const { load, calls } = recordingLoad(async (call) => {
      if (call === 2) await new Promise<void>((resolve) => (releaseReload = resolve));
    });
    const get = keptLoader(load, { ttlMs: 1_000, maxEntries: 10, clock });
    await get("a");
    await get("a");
    await clock.step(600);
    await get("a"); // starts the reload (call 2), held
    await settle();
    expect(await get("a", true)).toEqual({ key: "a", call: 3 }); // a fresh load overtakes it
    releaseReload();
    await settle();
    expect(calls).toEqual([["a"], ["a"], ["a"]]);
    expect(await get("a")).toEqual({ key: "a", call: 3 });
  });
});
