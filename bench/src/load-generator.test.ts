import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { runClosedLoop, runOpenLoopStep, type Operation } from "./load-generator.ts";

const clock = { now: () => performance.now() };

/** An operation answering `status` after `delayMs`, or on abort. */
function delayed(delayMs: number, status = 200, kind = "product"): Operation {
  return {
    kind,
    async run(signal) {
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw new Error("aborted");
      return { ok: status >= 200 && status < 300, status: String(status) };
    },
  };
}

/** A one-at-a-time server: each operation waits for the previous one, then takes `serviceMs`. */
function serialServer(serviceMs: number): Operation {
  let queue = Promise.resolve();
  return {
    kind: "serial",
    run() {
      const done = queue.then(() => sleep(serviceMs));
      queue = done;
      return done.then(() => ({ ok: true, status: "200" }));
    },
  };
}

describe("the open-loop step", () => {
  it("sends rate × duration operations and sees them all answered at the offered rate", async () => {
    const stats = await runOpenLoopStep(
      { rateRps: 200, durationMs: 500, drainMs: 500, maxPending: 1000, next: () => delayed(5) },
      clock,
    );
    expect(stats.scheduled).toBe(100);
    expect(stats.succeeded).toBe(100);
    expect(stats.failed).toBe(0);
    expect(stats.statuses).toEqual({ "200": 100 });
    expect(stats.achievedRps).toBeGreaterThan(170);
    expect(stats.achievedRps).toBeLessThan(230);
    expect(stats.latency.count).toBe(100);
    expect(stats.latency.p50Ms).toBeGreaterThanOrEqual(4);
    expect(stats.byKind["product"]?.count).toBe(100);
    expect(stats.histogram.length).toBeGreaterThan(0);
  });

  it("charges the queue a slow server builds to latency (coordinated-omission free)", async () => {
    // 100/s offered to a server doing one at a time in 20 ms (50/s): the queue grows all step long.
    const server = serialServer(20);
    const stats = await runOpenLoopStep(
      { rateRps: 100, durationMs: 400, drainMs: 2_000, maxPending: 1000, next: () => server },
      clock,
    );
    expect(stats.succeeded).toBe(40);
    // From the intended send, the last ones waited ~ 40 × 20 ms − 400 ms = 400 ms ...
    expect(stats.latency.maxMs).toBeGreaterThan(300);
    // ... while each one's service time alone looks like the same queue from the send: both
    // include the wait, because the generator sent on schedule. The achieved rate is the server's.
    expect(stats.achievedRps).toBeGreaterThan(40);
    expect(stats.achievedRps).toBeLessThan(60);
  });

  it("counts non-2xx answers per status and in the error rate", async () => {
    let n = 0;
    const stats = await runOpenLoopStep(
      {
        rateRps: 100,
        durationMs: 200,
        drainMs: 500,
        maxPending: 1000,
        next: () => delayed(1, (n += 1) % 4 === 0 ? 503 : 200),
      },
      clock,
    );
    expect(stats.scheduled).toBe(20);
    expect(stats.statuses).toEqual({ "200": 15, "503": 5 });
    expect(stats.errorRate).toBeCloseTo(0.25, 5);
    expect(stats.byKind["product"]?.errors).toBe(5);
  });

  it("aborts what is still unanswered at the end of the drain, and counts it", async () => {
    const stats = await runOpenLoopStep(
      { rateRps: 50, durationMs: 100, drainMs: 100, maxPending: 1000, next: () => delayed(10_000) },
      clock,
    );
    expect(stats.scheduled).toBe(5);
    expect(stats.succeeded).toBe(0);
    expect(stats.statuses["aborted"]).toBe(5);
    expect(stats.elapsedMs).toBeLessThan(1_500);
  });

  it("gives each operation a signal of its own, and aborts only those still unanswered", async () => {
    const signals: AbortSignal[] = [];
    let index = 0;
    const stats = await runOpenLoopStep(
      {
        rateRps: 100,
        durationMs: 100,
        drainMs: 100,
        maxPending: 1000,
        // Every other operation answers at once; the rest never do.
        next: () => {
          const quick = index++ % 2 === 0;
          const operation = delayed(quick ? 0 : 10_000);
          return {
            kind: operation.kind,
            run(signal) {
              signals.push(signal);
              return operation.run(signal);
            },
          };
        },
      },
      clock,
    );
    expect(stats.scheduled).toBe(10);
    expect(new Set(signals).size).toBe(10);
    expect(signals.filter((signal) => signal.aborted)).toHaveLength(5);
    expect(stats.succeeded).toBe(5);
    expect(stats.statuses["aborted"]).toBe(5);
  });

  it("drops operations beyond maxPending", async () => {
    const stats = await runOpenLoopStep(
      { rateRps: 100, durationMs: 100, drainMs: 50, maxPending: 3, next: () => delayed(10_000) },
      clock,
    );
    expect(stats.maxPending).toBe(3);
    expect(stats.statuses["dropped"]).toBe(7);
    expect(stats.failed).toBe(10);
  });
});

describe("the closed-loop probe", () => {
  it("keeps `concurrency` operations in flight back to back", async () => {
    const probe = await runClosedLoop({ concurrency: 4, durationMs: 300, next: () => delayed(10) }, clock);
    expect(probe.concurrency).toBe(4);
    // 4 workers × ~10 ms each: ~400/s, less timer overhead.
    expect(probe.rps).toBeGreaterThan(150);
    expect(probe.rps).toBeLessThan(450);
    expect(probe.failed).toBe(0);
  });
});
