// PGlite and pg are imported when a database of their kind is opened: a process on a PostgreSQL
// server never loads PGlite (nor pg_trgm's WASM), and the embedded store never loads pg.
import { access, cp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { Mutex } from "async-mutex";
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Migration,
  type QueryResult,
} from "kysely";

/**
 * A Kysely driver over one PGlite instance. PGlite is a single Postgres backend, so the
 * driver hands out one connection at a time: a transaction holds it from BEGIN to
 * COMMIT/ROLLBACK, and a statement outside a transaction holds it for that statement.
 * Code inside `db.transaction()` must use the transaction handle, never `db` (it would wait
 * for itself).
 */
class PgliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #mutex = new Mutex();

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.acquire();
    return new PgliteConnection(this.#pglite, release);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  async destroy(): Promise<void> {
    // Wait for the statement or transaction in progress, then close Postgres cleanly.
    const release = await this.#mutex.acquire();
    try {
      if (!this.#pglite.closed) await this.#pglite.close();
    } finally {
      release();
    }
  }
}

class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;
  readonly release: () => void;

  constructor(pglite: PGlite, release: () => void) {
    this.#pglite = pglite;
    this.release = release;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    return result.affectedRows === undefined
      ? { rows: result.rows }
      : { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported on PGlite");
  }
}

const INT8_OID = 20;

/**
 * Options for `openDatabase`. `dataDir` picks the embedded PostgreSQL (PGlite): a data
 * directory, or `memory://` for a throwaway database. A `postgres://` URL picks a
 * PostgreSQL server through a `pg` pool of at most `maxConnections` (default 10).
 */
export type DatabaseOptions =
  | {
      readonly dataDir: string;
      /**
       * Where the template cluster that seeds an empty `dataDir` lives (see `pgliteTemplate`);
       * default `<os.tmpdir()>/souk-pglite-template-<PGlite version>`.
       */
      readonly templateDir?: string;
    }
  | {
      readonly url: string;
      readonly maxConnections?: number;
      /** Told when a pooled connection fails outside a query (e.g. the server restarted); default: ignored. */
      readonly onIdleError?: (error: Error) => void;
    };

/**
 * A Postgres database shared by several services, each in its own schema
 * (ARCHITECTURE: "a schema per service when they share one server").
 */
export interface SqlDatabase {
  /** A Kysely handle whose unqualified table names resolve in `schema`. */
  forSchema<DB>(schema: string): Kysely<DB>;
  /**
   * Creates `schema` if needed and applies its forward-only migrations in name order
   * (Kysely's Migrator; history in `<schema>.kysely_migration`). Throws when one fails.
   */
  migrate(schema: string, migrations: Record<string, Migration>): Promise<void>;
  /** Waits for the statement in progress and closes Postgres cleanly. */
  close(): Promise<void>;
}

/**
 * PGlite's buffer pool. Postgres's default (128MB) lives in PGlite's WASM memory and is all
 * touched at start: 32MB holds Souk's embedded working set (the demo catalog is a few MB) with
 * the same query times measured, and the process's resident memory drops by ~120 MB.
 */
const PGLITE_SHARED_BUFFERS = "32MB";

/** True when `path` exists. */
async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The installed PGlite's version, from its package.json (its exports map does not expose it). */
async function pgliteVersion(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const manifest = join(entry, "..", "..", "package.json");
  return (JSON.parse(await readFile(manifest, "utf8")) as { version: string }).version;
}

/**
 * A cluster straight from initdb, with pg_trgm created in it, made once per machine and PGlite
 * version at `template` (the way PostgreSQL's CREATE DATABASE copies template1). It is built in
 * a directory of its own and renamed into place, so a racing process either wins or throws its
 * copy away; nothing writes to it afterwards. Returns `template`.
 *
 * @throws Error from initdb or the file system (e.g. `template`'s parent is not writable).
 */
async function pgliteTemplate(template: string, open: (dir: string) => PGlite): Promise<string> {
  if (await exists(join(template, "PG_VERSION"))) return template;
  const building = `${template}.${process.pid}.${Date.now()}`;
  const initialized = open(building);
  await initialized.exec("create extension if not exists pg_trgm");
  await initialized.close();
  const renamed = await rename(building, template).then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  // After a rename PGlite has left an empty directory at the old path; after a lost race, a whole copy.
  await rm(building, { recursive: true, force: true });
  if (renamed !== undefined && !(await exists(join(template, "PG_VERSION")))) throw renamed;
  return template;
}

async function pgliteDialect(dataDir: string, templateDir: string | undefined): Promise<Dialect> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
  ]);
  const open = (dir: string) =>
    new PGlite(dir, {
      extensions: { pg_trgm },
      parsers: { [INT8_OID]: (value: string) => Number(value) },
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    });
  // An empty data directory starts as a copy of the template cluster instead of running initdb:
  // initdb takes ~4.5 s here and grows the WASM memory of the instance that runs it to ~500 MB,
  // which WASM never gives back. The copy takes ~0.1 s, and the store then opens it like a warm
  // start. (The very first start on a machine runs initdb once, in an instance closed at once.)
  if (!dataDir.includes("://") && !(await exists(join(dataDir, "PG_VERSION")))) {
    const template = templateDir ?? join(tmpdir(), `souk-pglite-template-${await pgliteVersion()}`);
    await cp(await pgliteTemplate(template, open), dataDir, { recursive: true, force: false });
  }
  const pglite = open(dataDir);
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PgliteDriver(pglite),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

async function serverDialect(
  url: string,
  maxConnections: number,
  onIdleError: ((error: Error) => void) | undefined,
): Promise<Dialect> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled connection the server drops (a PostgreSQL restart: 57P01) emits "error" on
  // the pool; unhandled, that would crash the process. The pool discards the client and the
  // next query connects again; queries in flight get their own error.
  pool.on("error", (error) => onIdleError?.(error));
  // A connection checked out by a transaction that the server terminates emits "error" on the
  // client itself (no pool listener then): the query in progress fails with it; never a crash.
  pool.on("connect", (client) => client.on("error", (error) => onIdleError?.(error)));
  return new PostgresDialect({ pool });
}

/**
 * True when `schema`'s migration history (`<schema>.kysely_migration`, Kysely's table) names
 * exactly `migrations`: the Migrator would then run nothing, and skipping it saves its
 * introspection queries (each reads the whole catalog: ~70 ms per schema on PGlite at every
 * start). Anything else — no history yet, a pending or an unknown migration — is the Migrator's
 * to apply or to reject, as before.
 */
async function allApplied(
  db: Kysely<Record<string, never>>,
  schema: string,
  migrations: Record<string, Migration>,
): Promise<boolean> {
  const history = await sql<{ present: boolean }>`
    select to_regclass(format('%I.kysely_migration', ${schema}::text)) is not null as present`.execute(db);
  if (history.rows[0]?.present !== true) return false;
  const applied = await sql<{ name: string }>`select name from ${sql.id(schema, "kysely_migration")}`.execute(db);
  const names = new Set(Object.keys(migrations));
  return applied.rows.length === names.size && applied.rows.every((row) => names.has(row.name));
}

/**
 * Opens PostgreSQL — embedded (PGlite at `dataDir`) or a server (`url`) — and enables
 * pg_trgm. An empty `dataDir` on disk starts as a copy of the template cluster (`templateDir`),
 * made by initdb on the machine's first such start. int8 columns are read as JavaScript numbers (all Souk's int8 values are far below 2^53).
 */
export async function openDatabase(options: DatabaseOptions): Promise<SqlDatabase> {
  const dialect =
    "url" in options
      ? await serverDialect(options.url, options.maxConnections ?? 10, options.onIdleError)
      : await pgliteDialect(options.dataDir, options.templateDir);
  const root = new Kysely<Record<string, never>>({ dialect });
  await sql`create extension if not exists pg_trgm`.execute(root);
  return {
    forSchema: <DB>(schema: string) => root.withSchema(schema) as unknown as Kysely<DB>,
    async migrate(schema, migrations) {
      if (await allApplied(root, schema, migrations)) return;
      await sql`create schema if not exists ${sql.id(schema)}`.execute(root);
      const migrator = new Migrator({
        db: root.withSchema(schema),
        migrationTableSchema: schema,
        provider: { getMigrations: async () => migrations },
      });
      const { error, results } = await migrator.migrateToLatest();
      const failed = results?.find((r) => r.status === "Error");
      if (error !== undefined) {
        throw new Error(`migration ${failed?.migrationName ?? "?"} of schema ${schema} failed`, { cause: error });
      }
    },
    close: () => root.destroy(),
  };
}
