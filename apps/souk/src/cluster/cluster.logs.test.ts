import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { logHistory } from "./cluster.logs.ts";

describe("logHistory", () => {
  let dir: string;
  const line = (time: string, msg: string) => JSON.stringify({ level: 30, time, msg });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "souk-logs-"));
    await writeFile(
      join(dir, "souk-gateway-1.out.log"),
      [line("2026-01-01T00:00:01.000Z", "g1 first"), line("2026-01-01T00:00:04.000Z", "g1 second"), ""].join("\n"),
    );
    await writeFile(join(dir, "souk-gateway-1.error.log"), "Error: boom\n    at somewhere\n");
    const crashed = new Date("2026-01-01T00:00:03.500Z");
    await utimes(join(dir, "souk-gateway-1.error.log"), crashed, crashed);
    await writeFile(
      join(dir, "souk-cart.out.log"),
      [line("2026-01-01T00:00:02.000Z", "cart first"), line("2026-01-01T00:00:03.000Z", "cart second")].join("\n"),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("merges every process's last lines in time order (untimed ones at their file's last write), prefixed by name", async () => {
    const lines = await logHistory(dir, ["souk-gateway-1", "souk-cart", "souk-gateway-2"], 30);
    expect(lines.map((l) => l.replace(/ \| .*"msg":"([^"]+)".*$/, " | $1"))).toEqual([
      "souk-gateway-1 | g1 first",
      "souk-cart      | cart first",
      "souk-cart      | cart second",
      "souk-gateway-1 | Error: boom",
      "souk-gateway-1 |     at somewhere",
      "souk-gateway-1 | g1 second",
    ]);
  });

  test("keeps only the last `count` lines", async () => {
    const lines = await logHistory(dir, ["souk-gateway-1", "souk-cart"], 2);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^souk-gateway-1 \| .*g1 second/);
  });
});
