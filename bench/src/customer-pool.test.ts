import { describe, expect, it } from "vitest";
import { createCustomerPool } from "./customer-pool.ts";

describe("the customer pool", () => {
  it("lends each customer to one operation at a time, waiters served first come first served", async () => {
    const pool = createCustomerPool(["ada"]);
    const never = new AbortController().signal;
    const first = await pool.acquire(never);
    const order: string[] = [];
    const second = pool.acquire(never).then((c) => order.push(`second:${c}`));
    const third = pool.acquire(never).then((c) => order.push(`third:${c}`));
    expect(pool.waiting).toBe(2);
    expect(pool.idle).toBe(0);
    pool.release(first);
    await second;
    pool.release("ada");
    await third;
    expect(order).toEqual(["second:ada", "third:ada"]);
  });

  it("stops waiting when the signal aborts", async () => {
    const pool = createCustomerPool(["ada"]);
    await pool.acquire(new AbortController().signal);
    const abort = new AbortController();
    const waiting = pool.acquire(abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow();
    expect(pool.waiting).toBe(0);
    pool.release("ada");
    expect(pool.idle).toBe(1);
  });

  it("refuses an empty list", () => {
    expect(() => createCustomerPool([])).toThrow();
  });
});
