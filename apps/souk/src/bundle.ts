// The build `npm start` and the cluster's processes run: apps/souk/src/main.ts and everything
// it imports, bundled by Rolldown into a few ESM files under dist/souk. Node then loads ~70 files
// instead of ~2,000 modules (TypeBox alone is 683, Kysely 263): the embedded store's modules
// load in ~0.4 instead of ~1.2 s, and a process keeps ~11 MB less heap and 15–35 MB less RSS.
// Run as a script (`npm run bundle`) or through `buildBundle` (`souk up`, the bench).
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.ts";
import { removeStaleEntries } from "./stale-entries.ts";

/** Where the bundle goes. */
export const BUNDLE_DIR = join(REPO_ROOT, "dist", "souk");

/** The bundle's entry: `node dist/souk/main.js <command>` is `node apps/souk/src/main.ts <command>`. */
export const BUNDLE_ENTRY = join(BUNDLE_DIR, "main.js");

/**
 * Packages left to Node's own loader (imported from node_modules at run time), not bundled:
 * CommonJS ones (their `__dirname`, `require` and module caching stay exactly as their authors
 * wrote them: Fastify and its plugins, pino, prom-client, the Redis, PostgreSQL and AMQP
 * clients…), PGlite and the Kafka client's WASM helpers (they load WASM and data files beside
 * their own modules; `locationGuard` catches any other package that does), the native Argon2
 * and CRC32 bindings, pm2 (spawned as a program) and Rolldown itself (native; `souk up`
 * bundles). The rest — TypeBox, Kysely, OpenTelemetry, Connect, Protobuf-ES, jose, nodemailer,
 * the Kafka client (~390 modules as its own files: bundled, a process that loads it keeps ~5 MB
 * less), Souk's own workspaces — is ESM and bundled.
 */
const EXTERNAL_PACKAGES = [
  "@electric-sql/pglite",
  "@fastify/",
  "@node-rs/",
  "@platformatic/wasm-utils",
  "ajv-formats",
  "amqplib",
  "close-with-grace",
  "fastify",
  "hdr-histogram-js",
  "ioredis",
  "pg",
  "pino",
  "pm2",
  "prom-client",
  "rolldown",
];

/** True for an import of an external package (or of a file inside one). */
function isExternal(id: string): boolean {
  return EXTERNAL_PACKAGES.some((name) =>
    name.endsWith("/") ? id.startsWith(name) : id === name || id.startsWith(`${name}/`),
  );
}

/** What gives a module's own location away (ESM or CommonJS). */
const LOCATION_DEPENDENT = /\bimport\.meta\.(url|dirname|filename)\b|\b__dirname\b|\b__filename\b|\brequire\.resolve\(/;

/** The package (`name` or `@scope/name`) a node_modules path belongs to. */
function packageOf(id: string): string {
  const rest = id.slice(id.lastIndexOf("/node_modules/") + "/node_modules/".length).split("/");
  return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

/**
 * Bundled modules that name their own location only to `require` other packages by name
 * (`createRequire(import.meta.url)`), which Node resolves from the bundle's chunks through the
 * same node_modules: reviewed, and let through by `locationGuard`.
 */
const LOCATION_REVIEWED = [
  // The native CRC32C of @node-rs/crc32 (external), falling back to WASM when it is missing.
  "/node_modules/@platformatic/kafka/dist/protocol/crc32c.js",
  // protobufjs, only for Protobuf schemas of a Confluent schema registry, which Souk does not use.
  "/node_modules/@platformatic/kafka/dist/registries/confluent-schema-registry.js",
];

/**
 * A Rolldown plugin that records (in `found`) every bundled package whose code locates itself
 * (`import.meta.url`, `__dirname`, `require.resolve`, …): once bundled, such a package would
 * look for its files (WASM, templates, workers) beside the bundle's chunks instead of its own
 * modules. `buildBundle` then fails, naming them. Modules in `LOCATION_REVIEWED` pass.
 */
export function locationGuard(found: Set<string>) {
  return {
    name: "souk-location-guard",
    transform(code: string, id: string) {
      if (LOCATION_REVIEWED.some((reviewed) => id.endsWith(reviewed))) return null;
      if (id.includes("/node_modules/") && LOCATION_DEPENDENT.test(code)) found.add(packageOf(id));
      return null;
    },
  };
}

/** The Kafka client's modules that compile its option validators when they load. */
const KAFKA_OPTION_MODULES = /\/node_modules\/@platformatic\/kafka\/dist\/clients\/[a-z]+\/options\.js$/;

/** What `lazyKafkaValidators` puts in front of each rewritten module: Ajv's compile, deferred to the first call. */
const LAZY_VALIDATOR = `function soukLazyValidator(ajv, schema) {
  let validate;
  const lazy = (data) => {
    validate ??= ajv.compile(schema);
    const valid = validate(data);
    lazy.errors = validate.errors;
    return valid;
  };
  lazy.errors = null;
  return lazy;
}
`;

/**
 * A Rolldown plugin that makes the Kafka client (@platformatic/kafka) compile its option
 * validators on first use instead of when its modules load. The client compiles 38 Ajv
 * validators at import (`export const produceOptionsValidator = ajv.compile(…)` in
 * `dist/clients/{admin,base,consumer,producer}/options.js`) and runs them only for a client made
 * with `strict: true` (`kValidateOptions` in `clients/base/base.js` returns at once otherwise);
 * Souk's clients are not strict, so every process that loads the client (gateway, identity,
 * orders, payments, notifications, analytics) paid for 38 generated functions it never calls.
 * Measured: importing the bundled client alone 6.0 → 4.3 MB of heap, ~150 ms less at start; an
 * idle gateway 29.85 → 29.3 MB of heap and ~1.5 MB less RSS (two probes each, 30 s after ready).
 *
 * Each `ajv.compile(` becomes `soukLazyValidator(ajv, ` (the schema is still built where it was;
 * only the compile waits), and the function above is put in front of the module. A lazy
 * validator answers as Ajv's does: it returns whether the data is valid and carries the last
 * call's `errors` (what `kFormatValidationErrors` reads). `rewritten.count` adds up the calls
 * rewritten, so that `buildBundle` notices a client release that no longer matches.
 */
export function lazyKafkaValidators(rewritten: { count: number }) {
  return callRewrite(
    "souk-lazy-kafka-validators",
    { modules: KAFKA_OPTION_MODULES, calls: /\bajv\.compile\(/g, replacement: "soukLazyValidator(ajv, " },
    LAZY_VALIDATOR,
    rewritten,
  );
}

/**
 * What `callRewrite` rewrites: in the modules whose id matches `modules`, every match of `calls`
 * (a global pattern) becomes `replacement` (`$1`, `$2`… are the match's groups).
 */
interface CallRewrite {
  readonly modules: RegExp;
  readonly calls: RegExp;
  readonly replacement: string;
}

/**
 * A Rolldown plugin named `name` that applies `rewrite` and puts `prelude` (what the replacements
 * call) in front of each module it changed; a module with no match is left as it is.
 * `rewritten.count` adds up the calls rewritten, so that `buildBundle` notices a package release
 * that no longer matches.
 */
function callRewrite(name: string, rewrite: CallRewrite, prelude: string, rewritten: { count: number }) {
  return {
    name,
    transform(code: string, id: string) {
      if (!rewrite.modules.test(id)) return null;
      const calls = code.match(rewrite.calls)?.length ?? 0;
      if (calls === 0) return null;
      rewritten.count += calls;
      return { code: `${prelude}${code.replaceAll(rewrite.calls, rewrite.replacement)}` };
    },
  };
}

/** The Kafka client's CRC32C module, and the line that loads its native implementation when the module loads. */
const KAFKA_CRC32C_MODULE = /\/node_modules\/@platformatic\/kafka\/dist\/protocol\/crc32c\.js$/;
const EAGER_CRC32C = "export const crc32c = loadNativeCRC32C() ?? wasmCRC32C;";
/** What `lazyKafkaCRC32C` puts in its place: the same choice, made on the first checksum. */
const LAZY_CRC32C = `let soukCRC32C;
export function crc32c(data) {
    soukCRC32C ??= loadNativeCRC32C() ?? wasmCRC32C;
    return soukCRC32C(data);
}`;

/**
 * A Rolldown plugin that makes the Kafka client (@platformatic/kafka) load its native CRC32C
 * (@node-rs/crc32, a Rust addon) on the first checksum instead of when its module loads. The
 * addon's allocator (mimalloc, linked into it) maps a 32 MiB region as it loads and keeps 2 MiB
 * of it resident (`strace -k`: the mmap comes from the addon's initializer under `dlopen`), in
 * every process that loads the client — gateway, identity, orders, payments, notifications,
 * analytics — whether or not it ever produces or reads a record batch. The choice is unchanged:
 * native when it loads, the client's WASM otherwise.
 *
 * `rewritten.count` counts the modules rewritten, so that `buildBundle` notices a client release
 * that no longer matches.
 */
export function lazyKafkaCRC32C(rewritten: { count: number }) {
  return {
    name: "souk-lazy-kafka-crc32c",
    transform(code: string, id: string) {
      if (!KAFKA_CRC32C_MODULE.test(id) || !code.includes(EAGER_CRC32C)) return null;
      rewritten.count += 1;
      return { code: code.replace(EAGER_CRC32C, LAZY_CRC32C) };
    },
  };
}

/** The Kafka client's consumer modules that order topics with `String.prototype.localeCompare`. */
const KAFKA_TOPIC_ORDER_MODULES =
  /\/node_modules\/@platformatic\/kafka\/dist\/clients\/consumer\/(consumer-protocol|partitions-assigners)\.js$/;
/** Each comparison of two topic names in those modules (`a.topic.localeCompare(b.topic)`). */
const TOPIC_LOCALE_COMPARE = /\b(\w+)\.topic\.localeCompare\((\w+)\.topic\)/g;
/** What `kafkaTopicCodeUnitOrder` puts in front of each rewritten module. */
const COMPARE_TOPICS = `function soukCompareTopics(left, right) {
  return left < right ? -1 : left > right ? 1 : 0;
}
`;

/**
 * A Rolldown plugin that makes the Kafka client (@platformatic/kafka) order topic names by their
 * UTF-16 code units, as the Java client's assignors do (`String.compareTo`), instead of
 * `localeCompare`. The consumer calls it when it joins its group (`sortedAssignments` in
 * `consumer-protocol.js`, `compareTopicPartitions` in `partitions-assigners.js`), and the first
 * call opens ICU's collator: ~2 MB of the Node binary's collation data paged in and ~1 MB of
 * heap, for good (~3 MB of RSS measured on a bare Node). In the cluster, notifications and
 * analytics called it as their groups joined (they read several topics; the gateways' live
 * groups, one topic each, did not). Souk's topics (`souk.<service>.v1`, lowercase letters, digits and
 * dots) sort the same both ways; the order only decides which member the leader gives which
 * partition, and every member of a group runs the same bundle.
 *
 * `rewritten.count` adds up the comparisons rewritten, so that `buildBundle` notices a client
 * release that no longer matches.
 */
export function kafkaTopicCodeUnitOrder(rewritten: { count: number }) {
  return callRewrite(
    "souk-kafka-topic-code-unit-order",
    {
      modules: KAFKA_TOPIC_ORDER_MODULES,
      calls: TOPIC_LOCALE_COMPARE,
      replacement: "soukCompareTopics($1.topic, $2.topic)",
    },
    COMPARE_TOPICS,
    rewritten,
  );
}

/** Chunks no build references any more are deleted once older than this (a process started before may still load one). */
const STALE_CHUNK_AGE_MS = 60 * 60_000;

/** What `buildBundle` wrote. */
export interface BundleBuild {
  /** `BUNDLE_ENTRY`. */
  readonly entry: string;
  /** Files of the build (the entry and its chunks). */
  readonly files: number;
  /** Their size in bytes. */
  readonly bytes: number;
  /** How long the build took (ms). */
  readonly ms: number;
}

/**
 * Bundles apps/souk/src/main.ts into `BUNDLE_DIR` (Rolldown; ESM for Node, TypeScript and doc
 * comments stripped, no minification, so names and stack frames stay readable): `main.js` and
 * content-hashed chunks under `chunks/`, one per lazily imported part (each service, the Kafka
 * client, `shop`, …), so a process still loads only what it runs. Chunks are written before the
 * entry, which is replaced by a rename, so a process starting during a build sees one whole build
 * or the other; chunks of earlier builds are deleted after an hour. ~1.5 s.
 * @throws Error from Rolldown (an unresolvable import, a syntax error) or the file system.
 */
export async function buildBundle(): Promise<BundleBuild> {
  const started = performance.now();
  const { rolldown } = await import("rolldown");
  const locationDependent = new Set<string>();
  const lazyValidators = { count: 0 };
  const lazyCRC32C = { count: 0 };
  const topicOrder = { count: 0 };
  const build = await rolldown({
    input: { main: join(REPO_ROOT, "apps", "souk", "src", "main.ts") },
    platform: "node",
    cwd: REPO_ROOT,
    external: (id) => id.startsWith("node:") || isExternal(id),
    plugins: [
      locationGuard(locationDependent),
      lazyKafkaValidators(lazyValidators),
      lazyKafkaCRC32C(lazyCRC32C),
      kafkaTopicCodeUnitOrder(topicOrder),
    ],
    // Rolldown's warnings about the bundled packages' own code (a direct eval in a dependency
    // that never runs here) are not Souk's to fix; errors still fail the build.
    logLevel: "silent",
  });
  try {
    const { output } = await build.generate({
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "chunks/[name]-[hash].js",
      sourcemap: false,
      // Licences stay; doc comments go (~650 KB of 3.3 MB before, kept in every process's heap
      // as module source). Line and block comments Rolldown always drops.
      comments: { legal: true, annotation: false, jsdoc: false },
      // Non-ASCII characters escaped: V8 keeps a module's source as one byte per character only
      // if every character fits in Latin-1; one "・" in a library's regex made an 800 KB chunk
      // a 1.6 MB string in every process.
      charset: "ascii",
    });
    // (Rolldown loads and transforms the modules while it generates.)
    if (locationDependent.size > 0) {
      throw new Error(
        `bundle: these packages find files beside their own modules, which a bundle moves: ${[...locationDependent].join(", ")}; ` +
          "add them to EXTERNAL_PACKAGES in apps/souk/src/bundle.ts",
      );
    }
    if (lazyValidators.count === 0) {
      throw new Error(
        "bundle: no ajv.compile( call of @platformatic/kafka's dist/clients/*/options.js was made lazy: " +
          "the client's release changed; update lazyKafkaValidators in apps/souk/src/bundle.ts",
      );
    }
    if (lazyCRC32C.count === 0) {
      throw new Error(
        "bundle: @platformatic/kafka's dist/protocol/crc32c.js no longer loads its native CRC32C as written: " +
          "the client's release changed; update lazyKafkaCRC32C in apps/souk/src/bundle.ts",
      );
    }
    if (topicOrder.count !== 2) {
      throw new Error(
        `bundle: ${topicOrder.count} of the 2 topic comparisons of @platformatic/kafka's consumer were rewritten: ` +
          "the client's release changed; update kafkaTopicCodeUnitOrder in apps/souk/src/bundle.ts",
      );
    }
    await mkdir(join(BUNDLE_DIR, "chunks"), { recursive: true });
    let bytes = 0;
    const written = new Set<string>();
    const entries = [];
    for (const file of output) {
      const contents = file.type === "chunk" ? file.code : file.source;
      bytes += typeof contents === "string" ? Buffer.byteLength(contents) : contents.byteLength;
      written.add(file.fileName);
      if (file.type === "chunk" && file.isEntry) entries.push({ fileName: file.fileName, contents });
      // A chunk's name carries its content's hash: one that exists is this very chunk.
      else if (!existsSync(join(BUNDLE_DIR, file.fileName))) await writeWhole(file.fileName, contents);
    }
    for (const entry of entries) await writeWhole(entry.fileName, entry.contents);
    await removeStaleEntries(join(BUNDLE_DIR, "chunks"), STALE_CHUNK_AGE_MS, (name) => !written.has(`chunks/${name}`));
    return { entry: BUNDLE_ENTRY, files: written.size, bytes, ms: Math.round(performance.now() - started) };
  } finally {
    await build.close();
  }
}

/** Writes BUNDLE_DIR/`fileName` through a temporary file and a rename: readers see all of it or none. */
async function writeWhole(fileName: string, contents: string | Uint8Array): Promise<void> {
  const target = join(BUNDLE_DIR, fileName);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, target);
}

if (import.meta.main) {
  const built = await buildBundle();
  process.stdout.write(
    `bundle: ${built.entry} and ${built.files - 1} chunks, ${(built.bytes / 1e6).toFixed(1)} MB, in ${(built.ms / 1000).toFixed(1)} s\n`,
  );
}
