import { describe, expect, it } from "vitest";
import { dueCount, intendedSendMs, totalRequests } from "./rate-schedule.ts";

describe("the open-loop schedule", () => {
  it("sends rate × duration requests, at least one", () => {
    expect(totalRequests(100, 3_000)).toBe(300);
    expect(totalRequests(2.5, 1_000)).toBe(2);
    expect(totalRequests(0.1, 1_000)).toBe(1);
    expect(() => totalRequests(0, 1_000)).toThrow(RangeError);
  });

  it("spaces intended send times evenly from the start", () => {
    expect(intendedSendMs(1_000, 100, 0)).toBe(1_000);
    expect(intendedSendMs(1_000, 100, 1)).toBe(1_010);
    expect(intendedSendMs(1_000, 100, 250)).toBe(3_500);
  });

  it("counts the requests due so far: the first at once, then one per interval, capped at the total", () => {
    expect(dueCount(0, 100, 300)).toBe(1);
    expect(dueCount(9.99, 100, 300)).toBe(1);
    expect(dueCount(10, 100, 300)).toBe(2);
    expect(dueCount(1_000, 100, 300)).toBe(101);
    expect(dueCount(60_000, 100, 300)).toBe(300);
    expect(dueCount(-5, 100, 300)).toBe(1);
  });

  it("catches up at once after a stall instead of sliding the schedule (no coordinated omission)", () => {
    // The generator woke up 500 ms late: every request due meanwhile is sent now, each still
    // timed from its own intended instant.
    const due = dueCount(500, 1_000, 10_000);
    expect(due).toBe(501);
    expect(intendedSendMs(0, 1_000, due - 1)).toBe(500);
    expect(intendedSendMs(0, 1_000, 1)).toBe(1);
  });
});
