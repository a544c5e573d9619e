import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { kafkaTopicCodeUnitOrder, lazyKafkaCRC32C, lazyKafkaValidators, locationGuard } from "./bundle.ts";
import { REPO_ROOT } from "./repo-root.ts";

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

/**
 * Bundles `entrySource` (an ES module's text) with `plugin` the way `buildBundle` treats the Kafka
 * client (its WASM helpers and native addons left external) into a scratch directory under
 * node_modules/.cache, so that bare imports resolve as from the real bundle; runs `use` with the
 * bundle's file URL, then removes the directory.
 */
async function withKafkaBundle(
  name: string,
  entrySource: string,
  plugin: { name: string; transform(code: string, id: string): { code: string } | null },
  use: (bundled: string) => Promise<void>,
): Promise<void> {
  const { rolldown } = await import("rolldown");
  const dir = join(REPO_ROOT, "node_modules", ".cache", `souk-${name}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    const entry = join(dir, "entry.js");
    await writeFile(entry, entrySource);
    const build = await rolldown({
      input: entry,
      platform: "node",
      cwd: REPO_ROOT,
      external: (id) =>
        id.startsWith("node:") || id.startsWith("@platformatic/wasm-utils") || id.startsWith("@node-rs/"),
      plugins: [plugin],
      logLevel: "silent",
    });
    await build.write({ dir, format: "esm", entryFileNames: "bundled.js" });
    await build.close();
    await use(pathToFileURL(join(dir, "bundled.js")).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the Kafka client's lazy option validators", () => {
  const kafkaDist = join(createRequire(import.meta.url).resolve("@platformatic/kafka"), "..");
  const optionModules = ["admin", "base", "consumer", "producer"].map((client) =>
    join(kafkaDist, "clients", client, "options.js"),
  );

  it("rewrites every ajv.compile of the client's options modules, and nothing else", async () => {
    const rewritten = { count: 0 };
    const plugin = lazyKafkaValidators(rewritten);
    let calls = 0;
    for (const file of optionModules) {
      const code = await readFile(file, "utf8");
      const eager = code.match(/\bajv\.compile\(/g)?.length ?? 0;
      calls += eager;
      const lazy = plugin.transform(code, file)?.code ?? "";
      // The only compile left is the one inside the lazy validator, which runs on first use.
      expect(lazy.match(/\bajv\.compile\(/g)).toHaveLength(1);
      // Each call, and the lazy validator's own declaration in front.
      expect(lazy.match(/\bsoukLazyValidator\(ajv, /g)).toHaveLength(eager + 1);
      expect(lazy.replaceAll("soukLazyValidator(ajv, ", "ajv.compile(")).toContain(code);
    }
    expect(calls).toBeGreaterThan(30);
    expect(rewritten.count).toBe(calls);
    expect(
      plugin.transform("const v = ajv.compile(schema);", join(kafkaDist, "clients", "admin", "admin.js")),
    ).toBeNull();
  });

  it("leaves a strict client rejecting bad options with the client's own messages", async () => {
    const rewritten = { count: 0 };
    const entry = 'export { Admin } from "@platformatic/kafka";\n';
    await withKafkaBundle("lazy-validators", entry, lazyKafkaValidators(rewritten), async (bundled) => {
      expect(rewritten.count).toBeGreaterThan(30);
      const { Admin } = (await import(bundled)) as typeof import("@platformatic/kafka");
      const brokers = ["127.0.0.1:1"];
      expect(() => new Admin({ clientId: "strict", bootstrapBrokers: brokers, strict: true, timeout: -5 })).toThrow(
        "/options/timeout must be >= 0.",
      );
      const strict = new Admin({ clientId: "strict", bootstrapBrokers: brokers, strict: true });
      // Twice: the second call runs the validator compiled by the first, and reports its own errors.
      for (let i = 0; i < 2; i++) {
        await expect(strict.listTopics({ includeInternals: "yes" as unknown as boolean })).rejects.toThrow(
          "/options/includeInternals must be boolean.",
        );
      }
      await expect(strict.listTopics({ includeInternals: true, timeout: -1 } as never)).rejects.toThrow("/options");
      // Not strict (Souk's clients): options are not validated at all, as without the rewrite.
      const lenient = new Admin({ clientId: "lenient", bootstrapBrokers: brokers, timeout: -5 });
      await Promise.all([strict.close(), lenient.close()]);
    });
  });
});

describe("the Kafka client's lazy native CRC32C", () => {
  const crc32cModule = join(
    createRequire(import.meta.url).resolve("@platformatic/kafka"),
    "..",
    "protocol",
    "crc32c.js",
  );

  it("rewrites the line of the client's CRC32C module that loads the native addon, and nothing else", async () => {
    const code = await readFile(crc32cModule, "utf8");
    const rewritten = { count: 0 };
    const plugin = lazyKafkaCRC32C(rewritten);
    const lazy = plugin.transform(code, crc32cModule)?.code ?? "";
    expect(lazy).not.toContain("export const crc32c = loadNativeCRC32C() ?? wasmCRC32C;");
    expect(lazy).toContain("soukCRC32C ??= loadNativeCRC32C() ?? wasmCRC32C;");
    // Everything else of the module is as published.
    const [before, after] = code.split("export const crc32c = loadNativeCRC32C() ?? wasmCRC32C;");
    expect(lazy.startsWith(before!)).toBe(true);
    expect(lazy.endsWith(after!)).toBe(true);
    expect(rewritten.count).toBe(1);
    expect(plugin.transform(code, join(crc32cModule, "..", "other.js"))).toBeNull();
    expect(plugin.transform("export const crc32c = jsCRC32C;", crc32cModule)).toBeNull();
    expect(rewritten.count).toBe(1);
  });

  it("computes the same checksums, and loads the addon only with the first one", async () => {
    const rewritten = { count: 0 };
    const entry = `export { crc32c } from ${JSON.stringify(crc32cModule)};\n`;
    await withKafkaBundle("lazy-crc32c", entry, lazyKafkaCRC32C(rewritten), async (bundled) => {
      expect(rewritten.count).toBe(1);
      // A fresh process: whether the addon is mapped, before and after the first checksum.
      const script = `
        import { readFileSync } from "node:fs";
        const mapped = () => readFileSync("/proc/self/maps", "utf8").includes("crc32.linux");
        const { crc32c } = await import(${JSON.stringify(bundled)});
        const before = mapped();
        const check = crc32c(Buffer.from("123456789"));
        const empty = crc32c(Buffer.alloc(0));
        console.log(JSON.stringify({ before, after: mapped(), check, empty }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
      // 0xE3069283: CRC-32C's check value for "123456789" (CRC-32/ISCSI in the CRC RevEng catalogue).
      expect(JSON.parse(stdout)).toEqual({ before: false, after: true, check: 0xe3069283, empty: 0 });
    });
  });
});

describe("the Kafka client's topic order", () => {
  const consumerDir = join(createRequire(import.meta.url).resolve("@platformatic/kafka"), "..", "clients", "consumer");
  const modules = ["consumer-protocol.js", "partitions-assigners.js"].map((file) => join(consumerDir, file));

  it("rewrites the one topic comparison of each consumer module, and nothing else", async () => {
    const rewritten = { count: 0 };
    const plugin = kafkaTopicCodeUnitOrder(rewritten);
    for (const file of modules) {
      const code = await readFile(file, "utf8");
      expect(code.match(/\.localeCompare\(/g)).toHaveLength(1);
      const ordered = plugin.transform(code, file)?.code ?? "";
      expect(ordered).not.toContain("localeCompare");
      // The comparator's declaration in front, and the one call.
      expect(ordered.match(/\bsoukCompareTopics\(/g)).toHaveLength(2);
      const restored = ordered.replace(
        /\bsoukCompareTopics\((\w+)\.topic, (\w+)\.topic\)/g,
        "$1.topic.localeCompare($2.topic)",
      );
      expect(restored.endsWith(code)).toBe(true);
    }
    expect(rewritten.count).toBe(2);
    expect(plugin.transform("a.topic.localeCompare(b.topic)", join(consumerDir, "consumer.js"))).toBeNull();
    expect(plugin.transform("export const x = 1;", modules[0]!)).toBeNull();
    expect(rewritten.count).toBe(2);
  });

  it("orders topics by code unit without touching localeCompare, as Souk's topics sort either way", async () => {
    const rewritten = { count: 0 };
    const protocol = join(consumerDir, "consumer-protocol.js");
    const entry = `export { encodeConsumerProtocolAssignment, decodeConsumerProtocolAssignment } from ${JSON.stringify(protocol)};\n`;
    await withKafkaBundle("topic-order", entry, kafkaTopicCodeUnitOrder(rewritten), async (bundled) => {
      expect(rewritten.count).toBe(1);
      const topics = ["souk.payments.v1", "souk.orders.v1", "souk.inventory.v1", "souk.orders.v10", "a_b", "a-b", "B"];
      // A fresh process in which localeCompare (ICU's collator) throws: the bundle must not call it.
      const script = `
        String.prototype.localeCompare = () => { throw new Error("localeCompare called"); };
        const { encodeConsumerProtocolAssignment: encode, decodeConsumerProtocolAssignment: decode } =
          await import(${JSON.stringify(bundled)});
        const assignedPartitions = ${JSON.stringify(topics)}.map((topic) => ({ topic, partitions: [2, 0, 1] }));
        const decoded = decode(encode({ version: 0, assignedPartitions }));
        console.log(JSON.stringify(decoded.assignedPartitions));`;
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
      const assigned = JSON.parse(stdout) as { topic: string; partitions: number[] }[];
      // UTF-16 code units, as Java's String.compareTo: "B" < "a-b" < "a_b" < "souk…".
      expect(assigned.map(({ topic }) => topic)).toEqual(["B", "a-b", "a_b", ...topics.slice(0, 4).sort()]);
      expect(assigned.every(({ partitions }) => partitions.join() === "0,1,2")).toBe(true);
      // Souk's topic names (lowercase, digits, dots) come out as localeCompare orders them.
      const souk = topics.filter((topic) => topic.startsWith("souk."));
      expect([...souk].sort((a, b) => a.localeCompare(b))).toEqual([...souk].sort());
    });
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
