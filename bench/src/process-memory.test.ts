import { describe, expect, it } from "vitest";
import { megabytes, parseProcStatus } from "./process-memory.ts";

describe("process memory", () => {
  it("reads VmRSS and VmHWM from /proc/<pid>/status", () => {
    const status = "Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n";
    expect(parseProcStatus(status)).toEqual({ rssBytes: 102400 * 1024, peakRssBytes: 204800 * 1024 });
  });

  it("throws on a status without them", () => {
    expect(() => parseProcStatus("Name:\tzombie\n")).toThrow(/VmRSS|VmHWM/);
  });

  it("prints megabytes with one decimal", () => {
    expect(megabytes(123_456_789)).toBe(123.5);
  });
});
