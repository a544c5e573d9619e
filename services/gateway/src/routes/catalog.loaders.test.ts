import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isCollected } from "@souk/platform/testing";
import { keptLoader } from "./catalog.loaders.ts";

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
});
