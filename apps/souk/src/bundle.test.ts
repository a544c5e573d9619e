import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { locationGuard } from "./bundle.ts";

describe("the bundle's location guard", () => {
  it("names the bundled packages whose code locates itself, and only those", () => {
    const found = new Set<string>();
    const guard = locationGuard(found);
    const seen = (code: string, id: string) => guard.transform(code, id);
    seen(
      'const wasm = readFileSync(new URL("../dist/native.wasm", import.meta.url));',
      "/r/node_modules/@platformatic/wasm-utils/dist/index.js",
    );
    seen("module.exports = require(require.resolve('./worker.js'));", "/r/node_modules/thread-stream/index.js");
    seen("const file = path.join(__dirname, 'template.html');", "/r/node_modules/a/node_modules/nested/lib/x.js");
    seen(
      "export const fine = 1; // mentions importmeta and dirname only in prose",
      "/r/node_modules/typebox/build/index.mjs",
    );
    // Reviewed: the Kafka client requires optional packages by name, which resolve from the bundle too.
    seen(
      "const require = createRequire(import.meta.url); require('@node-rs/crc32');",
      "/r/node_modules/@platformatic/kafka/dist/protocol/crc32c.js",
    );
    seen("const wasm = new URL('./x.wasm', import.meta.url);", "/r/node_modules/@platformatic/kafka/dist/other.js");
    // Souk's own modules may locate themselves: they find the repository by walking up (repo-root.ts).
    seen(
      "export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));",
      "/r/apps/souk/src/repo-root.ts",
    );
    expect([...found].sort()).toEqual(["@platformatic/kafka", "@platformatic/wasm-utils", "nested", "thread-stream"]);
  });
});

describe("node_modules", () => {
  it("holds one Ajv 8 for every package that loads it at run time", () => {
    // The root package.json depends on Ajv 8 so that npm puts it at the top of node_modules
    // (ESLint keeps its Ajv 6 below itself): each copy npm nests is a second module instance
    // in every process (~1.25 MB of heap in an idle gateway).
    const require = createRequire(import.meta.url);
    const loaders = ["@fastify/ajv-compiler", "fast-json-stringify", "ajv-formats", "@platformatic/kafka"];
    const resolved = loaders.map((name) => createRequire(require.resolve(name)).resolve("ajv"));
    expect(new Set(resolved)).toEqual(new Set([require.resolve("ajv")]));
    expect((require("ajv/package.json") as { version: string }).version).toMatch(/^8\./);
  });
});
