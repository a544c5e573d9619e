import { createLogger, type Logger } from "./log.ts";
import { openDatabase, type SqlDatabase } from "./database.ts";

/**
 * A fresh in-memory PostgreSQL (PGlite) for one test file's integration tests.
 * Real Postgres, real SQL, real constraints; gone when closed.
 */
export function openTestDatabase(): Promise<SqlDatabase> {
  return openDatabase({ dataDir: "memory://" });
}

/** A logger for tests: silent unless `SOUK_TEST_LOG_LEVEL` is set. */
export function testLogger(): Logger {
  return createLogger({ level: process.env["SOUK_TEST_LOG_LEVEL"] ?? "silent" });
}
