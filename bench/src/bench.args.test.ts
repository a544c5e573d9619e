import { describe, expect, it } from "vitest";
import { BenchUsageError, parseBenchArgs } from "./bench.args.ts";

const now = new Date("2026-11-25T17:45:22.123Z");

describe("npm run bench arguments", () => {
  it("defaults to a full run of both topologies into bench/results/<timestamp>", () => {
    expect(parseBenchArgs([], "/repo", now)).toEqual({
      help: false,
      quick: false,
      topologies: ["embedded", "distributed"],
      outDir: "/repo/bench/results/2026-11-25T17-45-22Z",
      defaultOut: true,
      seed: 1,
      skipLimits: false,
    });
  });

  it("takes --scenarios and --no-limits for iterating on one path", () => {
    const options = parseBenchArgs(["--scenarios", "product,checkout", "--no-limits"], "/repo", now);
    expect(options.scenarios).toEqual(["product", "checkout"]);
    expect(options.skipLimits).toBe(true);
    expect(() => parseBenchArgs(["--scenarios", "product,teleport"], "/repo", now)).toThrow(/teleport/);
  });

  it("takes --step-seconds for the store's ladders, in ms, and refuses what is not 1–600 s", () => {
    expect(parseBenchArgs(["--step-seconds", "20"], "/repo", now).storeStepMs).toBe(20_000);
    expect(parseBenchArgs(["--step-seconds=2.5"], "/repo", now).storeStepMs).toBe(2_500);
    for (const bad of ["0", "0.5", "601", "soon", ""]) {
      expect(() => parseBenchArgs(["--step-seconds", bad], "/repo", now), bad).toThrow(
        new BenchUsageError(`--step-seconds must be a number of seconds from 1 to 600 (got "${bad}")`),
      );
    }
  });

  it("takes --quick, one topology, --out and --seed", () => {
    const options = parseBenchArgs(
      ["--quick", "--topology", "embedded", "--out", "/tmp/b", "--seed", "7"],
      "/repo",
      now,
    );
    expect(options).toMatchObject({
      quick: true,
      topologies: ["embedded"],
      outDir: "/tmp/b",
      defaultOut: false,
      seed: 7,
    });
    expect(parseBenchArgs(["--topology=distributed"], "/repo", now).topologies).toEqual(["distributed"]);
  });

  it("rejects an unknown topology, option or seed", () => {
    expect(() => parseBenchArgs(["--topology", "k8s"], "/repo", now)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(["--fast"], "/repo", now)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(["--seed", "x"], "/repo", now)).toThrow(BenchUsageError);
  });
});
