import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EMBEDDED_NODE_ARGS, MALLOC_ENV } from "./node-options.ts";
import { REPO_ROOT } from "./repo-root.ts";

describe("EMBEDDED_NODE_ARGS", () => {
  it("are what `npm start` runs the store with, in MALLOC_ENV", () => {
    const manifest = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as { scripts: { start: string } };
    const malloc = Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`);
    expect(manifest.scripts.start).toBe(
      `${malloc.join(" ")} node ${EMBEDDED_NODE_ARGS.join(" ")} dist/souk/main.js start`,
    );
  });

  it("are accepted by this Node, and PGlite answers queries under them", () => {
    // Enough work for V8 to tier hot functions up, were it allowed to: 2,000 inserts and a join.
    const script = `
      import { PGlite } from "@electric-sql/pglite";
      const db = await PGlite.create();
      await db.exec("create table t (id int primary key, n int)");
      for (let i = 0; i < 2000; i += 1) await db.query("insert into t values ($1, $2)", [i, i % 7]);
      const { rows } = await db.query("select count(*)::int as c, sum(a.n)::int as s from t a join t b on a.id = b.id");
      await db.close();
      console.log(JSON.stringify({ rows: rows[0], execArgv: process.execArgv }));
    `;
    const out = execFileSync(process.execPath, [...EMBEDDED_NODE_ARGS, "--input-type=module", "-e", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    const { rows, execArgv } = JSON.parse(out) as { rows: { c: number; s: number }; execArgv: string[] };
    expect(rows).toEqual({ c: 2000, s: Array.from({ length: 2000 }, (_, i) => i % 7).reduce((a, b) => a + b, 0) });
    expect(execArgv).toEqual(expect.arrayContaining([...EMBEDDED_NODE_ARGS]));
  }, 60_000);
});
