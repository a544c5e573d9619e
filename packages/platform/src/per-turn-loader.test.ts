import { describe, expect, it } from "vitest";
import { perTurnLoader, retryingKeysAlone } from "./per-turn-loader.ts";

/** A batch function that records every call's keys and answers `key × 10`, or an Error for negative keys. */
function recordingBatch() {
  const calls: number[][] = [];
  const batch = async (keys: readonly number[]) => {
    calls.push([...keys]);
    return keys.map((key) => (key < 0 ? new Error(`no ${key}`) : key * 10));
  };
  return { calls, batch };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("perTurnLoader", () => {
  it("answers every load of one turn from one batch call, in load order, duplicates included", async () => {
    const { calls, batch } = recordingBatch();
    const load = perTurnLoader(batch, 100);
    const answers = await Promise.all([load(3), load(1), load(3)]);
    expect(answers).toEqual([30, 10, 30]);
    expect(calls).toEqual([[3, 1, 3]]);
  });

  it("calls again for loads of a later turn: nothing is kept between turns", async () => {
    const { calls, batch } = recordingBatch();
    const load = perTurnLoader(batch, 100);
    const first = load(1);
    await nextTurn();
    const second = load(1);
    expect(await Promise.all([first, second])).toEqual([10, 10]);
    expect(calls).toEqual([[1], [1]]);
  });

  it("splits a turn's loads into calls of at most maxBatchSize keys", async () => {
    const { calls, batch } = recordingBatch();
    const load = perTurnLoader(batch, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map(load))).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("fails only the load whose slot holds an Error; a failed call fails every load in it", async () => {
    const { batch } = recordingBatch();
    const load = perTurnLoader(batch, 100);
    const [ok, failed] = await Promise.allSettled([load(2), load(-1)]);
    expect(ok).toEqual({ status: "fulfilled", value: 20 });
    expect(failed).toMatchObject({ status: "rejected", reason: new Error("no -1") });

    let down = true;
    const flaky = perTurnLoader(async (keys: readonly number[]) => {
      if (down) throw new Error("callee unavailable");
      return keys.map((key) => key);
    }, 100);
    const results = await Promise.allSettled([flaky(1), flaky(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    down = false;
    expect(await flaky(3)).toBe(3);
  });
});

describe("retryingKeysAlone", () => {
  it("passes a batch that succeeds through as one call", async () => {
    const { calls, batch } = recordingBatch();
    expect(await retryingKeysAlone(batch)([1, 2])).toEqual([10, 20]);
    expect(calls).toEqual([[1, 2]]);
  });

  it("tries each key alone when the batch throws: only the bad key fails", async () => {
    const calls: number[][] = [];
    // Like one transaction for the whole batch: a bad key (7) rolls back everyone's work.
    const atomic = async (keys: readonly number[]) => {
      calls.push([...keys]);
      if (keys.includes(7)) throw new Error("constraint violated by 7");
      return keys.map((key) => key * 10);
    };
    const answers = await retryingKeysAlone(atomic)([1, 7, 2]);
    expect(answers).toEqual([10, new Error("constraint violated by 7"), 20]);
    expect(calls).toEqual([[1, 7, 2], [1], [7], [2]]);

    const load = perTurnLoader(retryingKeysAlone(atomic), 100);
    const settled = await Promise.allSettled([load(3), load(7)]);
    expect(settled).toEqual([
      { status: "fulfilled", value: 30 },
      { status: "rejected", reason: new Error("constraint violated by 7") },
    ]);
  });

  it("throws a one-key batch's error as it is, and wraps a non-Error thrown by a key alone", async () => {
    const boom = new Error("down");
    await expect(retryingKeysAlone(async () => Promise.reject(boom))([1])).rejects.toBe(boom);
    const answers = await retryingKeysAlone(async (keys: readonly number[]) => {
      if (keys.length > 1 || keys[0] === 2) throw "not an error"; // eslint-disable-line @typescript-eslint/only-throw-error
      return keys;
    })([1, 2]);
    expect(answers).toEqual([1, new Error("not an error")]);
  });
});
