import { createServer } from "node:net";
import { Writable } from "node:stream";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { sql } from "kysely";
import { newId } from "./clock.ts";
import { createLogger, type Logger } from "./log.ts";
import { closeRedis, openRedis, waitForRedis, type Redis } from "./redis.ts";
import { openDatabase, type SqlDatabase } from "./database.ts";

/**
 * A fresh in-memory PostgreSQL (PGlite) for one test file's integration tests.
 * Real Postgres, real SQL, real constraints; gone when closed.
 */
export function openTestDatabase(): Promise<SqlDatabase> {
  return openDatabase({ dataDir: "memory://" });
}

/** A test database and the schema a test file migrates into; `close` leaves nothing behind. */
export interface TestSchemaDatabase {
  readonly database: SqlDatabase;
  readonly schema: string;
  /** Drops the schema when it is this caller's own (on the server), then closes the database. */
  close(): Promise<void>;
}

/** A fresh in-memory PGlite (`openTestDatabase`) and `schema` as named: closing it discards everything. */
export async function openTestPgliteSchema(schema: string): Promise<TestSchemaDatabase> {
  const database = await openTestDatabase();
  return { database, schema, close: () => database.close() };
}

/**
 * The PostgreSQL server integration tests use: `SOUK_TEST_POSTGRES_URL`, else the one
 * `npm run services` runs (its `postgres` database).
 */
export const TEST_POSTGRES_URL =
  process.env["SOUK_TEST_POSTGRES_URL"] ?? "postgres://souk:souk@127.0.0.1:55432/postgres";

/**
 * The test PostgreSQL server (`TEST_POSTGRES_URL`) through a pool of at most `maxConnections`,
 * with a schema name of this caller's own (`<prefix>_<12 hex digits>`) to migrate into, so test
 * files running at once never share tables; `close` drops that schema and closes the pool.
 */
export async function openTestServerDatabase(prefix: string, maxConnections: number): Promise<TestSchemaDatabase> {
  const database = await openDatabase({ url: TEST_POSTGRES_URL, maxConnections });
  const schema = `${prefix}_${newId().replaceAll("-", "").slice(-12)}`;
  return {
    database,
    schema,
    async close() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.forSchema(schema));
      await database.close();
    },
  };
}

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Give up after this many ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Pause between checks in ms. Default 20. */
  readonly intervalMs?: number;
  /** Says what was awaited, in the timeout error. */
  readonly message?: string;
}

/**
 * Resolves once `condition` returns (or resolves to) true, checking every `intervalMs`.
 *
 * @throws Error naming `message` (and the last error `condition` threw, as its cause) after `timeoutMs`.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.message ?? "a condition"}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A logger for tests: silent unless `SOUK_TEST_LOG_LEVEL` is set. */
export function testLogger(): Logger {
  return createLogger({ level: process.env["SOUK_TEST_LOG_LEVEL"] ?? "silent" });
}

/**
 * A process logger (`createLogger`: redaction, mixin, timestamp) at `level`, writing into
 * `lines`, each line parsed from its JSON: for tests that read what a process logged.
 */
export function capturedLogger(level = "info"): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, name: "test", destination }), lines };
}

/** A Redis client scoped to one test run's keys, for integration tests. */
export interface TestRedis {
  /** The client; every key it writes is prefixed with `keyPrefix` (ioredis `keyPrefix`). */
  readonly redis: Redis;
  readonly keyPrefix: string;
  /** Deletes every key of this run (KEYS patterns are not prefixed by the client; DEL keys are). */
  deleteKeys(): Promise<void>;
}

/**
 * Connects to the Redis the tests run against (`REDIS_URL`, default what `npm run services`
 * starts) with a key prefix unique to this run, so runs and files never meet.
 * @throws Error naming the server (and how to start one) when no Redis answers within 3 s.
 */
export async function openTestRedis(suite: string): Promise<TestRedis> {
  const url = process.env["REDIS_URL"] ?? "redis://127.0.0.1:56379";
  const keyPrefix = `souk-test:${suite}:${newId()}:`;
  const redis = openRedis(url, testLogger(), { keyPrefix });
  try {
    await waitForRedis(redis, 3_000);
  } catch (error) {
    await closeRedis(redis);
    throw new Error(`the ${suite} tests need Redis at ${url}: run \`npm run services\` or set REDIS_URL`, {
      cause: error,
    });
  }
  return {
    redis,
    keyPrefix,
    async deleteKeys() {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(keyPrefix.length)));
    },
  };
}

/** A loopback port nothing listens on: a client pointed at it sees its server down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * Whether the object `weak` refers to has been garbage-collected, after a full collection: for
 * tests that a cache or a log lets go of what it no longer needs. Waits one macrotask first (a
 * WeakRef read in the current job keeps its target alive until the job ends), then runs V8's
 * `gc()`, exposed at run time (`--expose-gc` through `v8.setFlagsFromString`, read in a new
 * context, as Node's own tests do).
 */
export async function isCollected(weak: WeakRef<object>): Promise<boolean> {
  await nextMacrotask();
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return weak.deref() === undefined;
}
