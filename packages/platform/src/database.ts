// PGlite and pg are imported when a database of their kind is opened: a process on a PostgreSQL
// server never loads PGlite (nor pg_trgm's WASM), and the embedded store loads only pg's small
// parameter serializer (pg/lib/utils), never its client.
import { constants, cpSync, existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import type { PGlite, messages as PgliteMessages } from "@electric-sql/pglite";
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
import { ForegroundFirstLock } from "./background-work.ts";

/** Most named prepared statements kept per PGlite instance; the least recently used is closed beyond. */
const PGLITE_MAX_PREPARED_STATEMENTS = 500;

/** Statements worth preparing: DML, whose parse and plan Postgres can then reuse. */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * How a statement is to be sent: its name (`""`: unnamed), whether to Parse it first, and, for a
 * prepared statement, the shape of its rows as its first run described them (`null`: none).
 */
interface StatementPlan {
  readonly name: string;
  readonly parse: boolean;
  readonly rows?: RowDescription | null;
}

/**
 * The named prepared statements of one PGlite session, by SQL text, least recently used first
 * (a Map keeps insertion order). Names are never reused: a statement whose first use failed may
 * or may not exist server-side, so it is closed (a Close of a missing statement is no error) and
 * the next use prepares it under a new name.
 */
class PreparedStatements {
  readonly #names = new Map<string, { readonly name: string; readonly rows: RowDescription | null }>();
  #closing: string[] = [];
  #counter = 0;

  /**
   * The statement's name, whether it must be parsed first, and, once prepared, the shape of its
   * rows as its first run described them (`null`: it returns none).
   */
  lookup(text: string): StatementPlan {
    const known = this.#names.get(text);
    if (known === undefined) return { name: `souk_${++this.#counter}`, parse: true };
    this.#names.delete(text);
    this.#names.set(text, known);
    return { name: known.name, parse: false, rows: known.rows };
  }

  /**
   * Records a statement parsed by a successful round trip, with the RowDescription that round
   * trip got (`null` for NoData), evicting the least recently used beyond the bound.
   */
  prepared(text: string, name: string, rows: RowDescription | null): void {
    this.#names.set(text, { name, rows });
    if (this.#names.size <= PGLITE_MAX_PREPARED_STATEMENTS) return;
    const [oldest, evicted] = this.#names.entries().next().value as [string, { name: string }];
    this.#names.delete(oldest);
    this.#closing.push(evicted.name);
  }

  /** Forgets `name` (its round trip failed, or its plan went stale) and closes it on the next one. */
  discard(text: string, name: string): void {
    if (this.#names.get(text)?.name === name) this.#names.delete(text);
    this.#closing.push(name);
  }

  /** Names to close, handed out once. */
  takeClosing(): string[] {
    const names = this.#closing;
    this.#closing = [];
    return names;
  }
}

/** `parts` in one buffer. */
function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A RowDescription message as PGlite's protocol parser gives it (the columns' names and types). */
type RowDescription = PgliteMessages.RowDescriptionMessage;

/** What `PgliteConnection` speaks the wire protocol with: PGlite's codec and node-postgres's parameter serializer. */
interface PgliteWire {
  readonly protocol: (typeof import("@electric-sql/pglite"))["protocol"];
  readonly parseResults: (typeof import("@electric-sql/pglite"))["parse"]["parseResults"];
  /** node-postgres's `utils.prepareValue`: a JavaScript value as a text parameter (a Buffer stays bytes). */
  readonly prepareValue: (value: unknown) => string | Uint8Array | null;
}

/**
 * A Kysely driver over one PGlite instance. PGlite is a single Postgres backend, so the
 * driver hands out one connection at a time: a transaction holds it from BEGIN to
 * COMMIT/ROLLBACK, and a statement outside a transaction holds it for that statement.
 * Code inside `db.transaction()` must use the transaction handle, never `db` (it would wait
 * for itself). BEGIN is not a round trip of its own: it goes into PGlite with the
 * transaction's first statement (`PgliteConnection.deferBegin`); a transaction that ran no
 * statement has nothing to commit or roll back. Waiters for the connection are served in order
 * of arrival, except that work marked with `runAsBackgroundWork` (event consumers, jobs, outbox
 * relays) gives way to requests that came up to 100 ms after it (`ForegroundFirstLock`).
 */
class PgliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #wire: PgliteWire;
  readonly #statements = new PreparedStatements();
  readonly #lock = new ForegroundFirstLock();

  constructor(pglite: PGlite, wire: PgliteWire) {
    this.#pglite = pglite;
    this.#wire = wire;
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#lock.acquire();
    return new PgliteConnection(this.#pglite, this.#wire, this.#statements, release);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).deferBegin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as PgliteConnection).cancelPendingBegin()) return;
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as PgliteConnection).cancelPendingBegin()) return;
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  async destroy(): Promise<void> {
    // Wait for the statement or transaction in progress, then close Postgres cleanly.
    const release = await this.#lock.acquire(false);
    try {
      if (!this.#pglite.closed) await this.#pglite.close();
    } finally {
      release();
    }
  }
}

/**
 * Runs each statement as one extended-protocol round trip into PGlite (Close of evicted
 * statements, Parse and Describe when new, Bind, Execute, Sync in one message), where
 * `PGlite.query` makes six (it describes the statement first to pick parameter serializers); a
 * prepared statement's later runs reuse the RowDescription of its first.
 * DML runs as named prepared statements, so Postgres reuses its parse and, after five
 * executions, a generic plan when that costs no more (plan_cache_mode auto), as pgx and
 * node-postgres do with named statements; other statements use the unnamed one. Parameters are
 * serialized as node-postgres does (`prepareValue`: text, Postgres array literals, JSON, Dates
 * with their offset) and typed by the server from their context, exactly as in the PostgreSQL
 * server topology. Measured on PGlite: a primary-key read 0.16–0.23 ms (0.41–0.88 ms through
 * `PGlite.query`), a two-table join 0.14–0.25 ms (0.40–0.64 ms in one unprepared round trip).
 * A transaction's BEGIN rides, as a simple Query message, in front of its first statement: a
 * checkout runs ~22 transactions on the embedded store, and a BEGIN alone cost ~0.19 ms.
 */
class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;
  readonly #wire: PgliteWire;
  readonly #statements: PreparedStatements;
  readonly release: () => void;
  /** A transaction began and its BEGIN has not been sent yet. */
  #beginPending = false;

  constructor(pglite: PGlite, wire: PgliteWire, statements: PreparedStatements, release: () => void) {
    this.#pglite = pglite;
    this.#wire = wire;
    this.#statements = statements;
    this.release = release;
  }

  /** Starts a transaction: its BEGIN is sent with the next statement. */
  deferBegin(): void {
    this.#beginPending = true;
  }

  /** Ends a transaction that ran no statement: true when its BEGIN was never sent (nothing to end). */
  cancelPendingBegin(): boolean {
    const pending = this.#beginPending;
    this.#beginPending = false;
    return pending;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { protocol, parseResults, prepareValue } = this.#wire;
    const text = compiledQuery.sql;
    const values = compiledQuery.parameters.map(prepareValue);
    // BEGIN first (its own CommandComplete and ReadyForQuery), then the statement's messages: once
    // sent, the transaction is open even if the statement fails, and Kysely's ROLLBACK ends it.
    const begin = this.cancelPendingBegin();
    const parts = begin ? [protocol.serialize.query("begin")] : [];
    for (const name of this.#statements.takeClosing()) parts.push(protocol.serialize.close({ type: "S", name }));
    const statement: StatementPlan = PREPARABLE.test(text) ? this.#statements.lookup(text) : { name: "", parse: true };
    if (statement.parse) parts.push(protocol.serialize.parse({ name: statement.name, text }));
    parts.push(protocol.serialize.bind({ statement: statement.name, values }));
    // A prepared statement's rows keep the shape its first run described (Postgres refuses to run
    // it with another: 0A000 below), so only that run asks for the RowDescription.
    if (statement.rows === undefined) parts.push(protocol.serialize.describe({ type: "P" }));
    parts.push(protocol.serialize.execute({}), protocol.serialize.sync());
    let messages: PgliteMessages.BackendMessage[];
    try {
      ({ messages } = await this.#pglite.execProtocol(concatBytes(parts)));
    } catch (error) {
      // A statement parsed in this round trip may exist server-side even though it failed; one whose
      // plan went stale (a table it reads changed shape) must be prepared afresh.
      if (statement.name !== "" && (statement.parse || isStalePlan(error)))
        this.#statements.discard(text, statement.name);
      throw error;
    }
    if (statement.name !== "" && statement.parse) {
      const described = messages.find((message) => message.name === "rowDescription") as RowDescription | undefined;
      this.#statements.prepared(text, statement.name, described ?? null);
    } else if (statement.rows) {
      // The statement's messages follow BEGIN's CommandComplete and ReadyForQuery when one was sent.
      const at = begin ? messages.findIndex((message) => message.name === "readyForQuery") + 1 : 0;
      messages.splice(at, 0, statement.rows);
    }
    const result = parseResults(messages, this.#pglite.parsers)[begin ? 1 : 0];
    const rows = (result?.rows ?? []) as R[];
    return result?.affectedRows === undefined ? { rows } : { rows, numAffectedRows: BigInt(result.affectedRows) };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported on PGlite");
  }
}

/** "cached plan must not change result type" (feature_not_supported): a prepared statement outlived a schema change. */
function isStalePlan(error: unknown): boolean {
  return (error as { code?: unknown }).code === "0A000";
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
       * Where the template cluster that seeds an empty `dataDir` lives (see `ensurePgliteTemplate`;
       * one made by initdb, with pg_trgm, when missing); default
       * `<os.tmpdir()>/souk-pglite-template-<PGlite version>`. A `memory://` database loads it
       * from `<templateDir>.tar` (see `templateTarball`).
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
 * touched at start; a page it does not hold is read from the data directory through the file
 * system (the kernel's page cache, outside the process). 32MB instead of 128 took ~120 MB off
 * the store's resident memory with the same query times. 16MB took 18 MB more (idle 182 → 164
 * MB, peak under the bench's search, cart and checkout ladders 306 → 294 MB) at the same rates:
 * search 11,000 / 9,999/s (its ladder spreads ±8 % between identical runs), cart 774 / 810/s,
 * checkout 35.2 / 36.3/s. The seeded store's database is ~23 MB, PostgreSQL's catalogs included.
 */
const PGLITE_SHARED_BUFFERS = "16MB";

/** The installed PGlite's version, from its package.json (its exports map does not expose it). */
async function pgliteVersion(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const manifest = join(entry, "..", "..", "package.json");
  return (JSON.parse(await readFile(manifest, "utf8")) as { version: string }).version;
}

/** True when `dir` holds a Postgres cluster (its PG_VERSION file). */
function holdsCluster(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION"));
}

/**
 * True when `dataDir` is a directory on disk (not `memory://` nor any other URL) that holds no
 * cluster yet — missing or empty: `openDatabase` starts it as a copy of its template.
 */
export function isEmptyDataDir(dataDir: string): boolean {
  return !dataDir.includes("://") && !holdsCluster(dataDir);
}

/**
 * Makes sure a PGlite template cluster exists at `template` (the way PostgreSQL's CREATE DATABASE
 * copies template1): when it is missing, `build(dir)` fills a directory of its own (a sibling of
 * `template`; `build` opens, writes and closes a cluster there) and that directory is renamed into
 * place, so a racing process either wins or throws its copy away. Nothing writes to a template
 * afterwards; an empty data directory handed to `openDatabase` with `templateDir` starts as a copy.
 * Concurrent calls in one process share one build. Returns `template`.
 *
 * @throws whatever `build` throws (no template and no build directory are left behind), or an
 *   Error from the file system (e.g. `template`'s parent is not writable).
 */
export function ensurePgliteTemplate(template: string, build: (dataDir: string) => Promise<void>): Promise<string> {
  if (holdsCluster(template)) return Promise.resolve(template);
  let pending = templateBuilds.get(template);
  if (pending === undefined) {
    pending = buildPgliteTemplate(template, build).finally(() => templateBuilds.delete(template));
    templateBuilds.set(template, pending);
  }
  return pending;
}

/**
 * Per process: the template builds in progress, by template directory. Callers in one process
 * share a build: two building at once would run initdb twice, and in the same millisecond they
 * named the same build directory — two PGlite instances in one cluster, one's `postmaster.pid`
 * renamed into the template with the other's build.
 */
const templateBuilds = new Map<string, Promise<string>>();

async function buildPgliteTemplate(template: string, build: (dataDir: string) => Promise<void>): Promise<string> {
  const building = `${template}.${process.pid}.${Date.now()}`;
  try {
    await build(building);
    await rename(building, template);
  } catch (error) {
    // A racing process renamed its copy first: use that one. Anything else is a real failure.
    if (!holdsCluster(template)) throw error;
  } finally {
    // After a rename PGlite has left an empty directory at the old path; after a lost race or a
    // failed build, a whole or partial cluster.
    await rm(building, { recursive: true, force: true });
  }
  return template;
}

/** Per process: the template tarball each `memory://` instance loads, by template directory. */
const templateTarballs = new Map<string, Promise<Blob>>();

/**
 * The template cluster at `template` as an uncompressed tarball (PGlite's `dumpDataDir`), kept
 * beside it as `<template>.tar` (~40 MB), so a `memory://` instance starts from it
 * (`loadDataDir`, ~1 s) instead of running initdb (~4.5 s). Made once per machine from a
 * throwaway copy (PGlite writes to a cluster it opens; the template stays untouched), written
 * through a temporary file and a rename; read once per process.
 * @throws Error from PGlite or the file system.
 */
function templateTarball(template: string, open: (dir: string) => PGlite): Promise<Blob> {
  let tarball = templateTarballs.get(template);
  if (tarball === undefined) {
    tarball = (async () => {
      const path = `${template}.tar`;
      if (!existsSync(path)) {
        const copy = `${template}.dump.${process.pid}.${Date.now()}`;
        try {
          cpSync(template, copy, { recursive: true, mode: constants.COPYFILE_FICLONE });
          const instance = open(copy);
          await instance.waitReady;
          const dump = await instance.dumpDataDir("none");
          await instance.close();
          await writeFile(`${copy}.tar`, new Uint8Array(await dump.arrayBuffer()));
          await rename(`${copy}.tar`, path);
        } finally {
          await rm(copy, { recursive: true, force: true });
          await rm(`${copy}.tar`, { force: true });
        }
      }
      return new Blob([await readFile(path)]);
    })();
    templateTarballs.set(template, tarball);
    // A failure is not kept: the next open tries again.
    tarball.catch(() => templateTarballs.delete(template));
  }
  return tarball;
}

async function pgliteDialect(dataDir: string, templateDir: string | undefined): Promise<Dialect> {
  const [{ PGlite, protocol, parse }, { pg_trgm }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
  ]);
  const open = (dir: string, loadDataDir?: Blob) =>
    new PGlite(dir, {
      extensions: { pg_trgm },
      parsers: { [INT8_OID]: (value: string) => Number(value) },
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
      ...(loadDataDir === undefined ? {} : { loadDataDir }),
    });
  // An empty data directory starts as a copy of the template cluster instead of running initdb,
  // and a memory:// one loads it as a tarball: initdb takes ~4.5 s here and grows the WASM memory
  // of the instance that runs it to ~500 MB, which WASM never gives back. The copy takes ~0.1 s,
  // and the store then opens it like a warm start. (The very first start on a machine runs initdb
  // once, in an instance closed at once.)
  const inMemory = dataDir.startsWith("memory://");
  const emptyOnDisk = isEmptyDataDir(dataDir);
  // When missing, the template is a cluster straight from initdb with pg_trgm created in it.
  const template =
    inMemory || emptyOnDisk
      ? await ensurePgliteTemplate(
          templateDir ?? join(tmpdir(), `souk-pglite-template-${await pgliteVersion()}`),
          async (dir) => {
            const initialized = open(dir);
            await initialized.exec("create extension if not exists pg_trgm");
            await initialized.close();
          },
        )
      : undefined;
  if (template !== undefined && emptyOnDisk) {
    // cpSync: Node's native copy, 5× faster than the promise API's per-file JavaScript walk here
    // (~90 against ~490 ms for the template's 971 files); nothing else runs while the store starts.
    // (COPYFILE_FICLONE: a copy-on-write clone where the file system can, e.g. btrfs, XFS, APFS.)
    cpSync(template, dataDir, { recursive: true, force: false, mode: constants.COPYFILE_FICLONE });
  }
  const pglite =
    template !== undefined && inMemory ? open(dataDir, await templateTarball(template, open)) : open(dataDir);
  // pg's own serializer (its package is a dependency already; this loads only its small utils module).
  const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as Pick<PgliteWire, "prepareValue">;
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PgliteDriver(pglite, { protocol, parseResults: parse.parseResults, prepareValue }),
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
 * made by initdb on the machine's first such start. int8 columns are read as JavaScript numbers
 * (all Souk's int8 values are far below 2^53).
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
