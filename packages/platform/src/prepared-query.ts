import type { Compilable, CompiledQuery, Kysely } from "kysely";

/** The path from the parameters object to the value each placeholder stands for, e.g. `["lines", "0", "sku"]`. */
const placeholderPaths = new WeakMap<object, readonly string[]>();

/** How a placeholder reads once spliced into SQL text (`sql.raw`, `sql.lit`, a template literal): found at compile. */
const SPLICED = /\u0000souk-placeholder:([^\u0000]*)\u0000/;

/**
 * A stand-in for the value at `path` while a prepared query is built. Kysely takes it as an
 * ordinary value (a `ValueNode`), so it lands in the compiled query's parameter list, where a run
 * puts the value of the call. Reading a property of it gives the placeholder of that property
 * (`params.lines[0].sku`), so a query over several rows can name each row's values.
 */
function placeholder(path: readonly string[]): object {
  const marker = `\u0000souk-placeholder:${path.join(".")}\u0000`;
  const proxy = new Proxy(Object.create(null) as object, {
    get(_, name) {
      if (name === "toString" || name === Symbol.toPrimitive) return () => marker;
      if (name === "toJSON") {
        return () => {
          throw new TypeError(`parameter "${path.join(".")}" of a prepared query was serialized while it was built`);
        };
      }
      // Not a promise: an `await` of a placeholder must not wait on it.
      if (typeof name === "symbol" || name === "then") return undefined;
      return placeholder([...path, name]);
    },
  });
  placeholderPaths.set(proxy, path);
  return proxy;
}

/** One slot of the compiled parameter list: a value of the call (by path), or one fixed when the query was built. */
type ParameterSlot = { readonly path: readonly string[] } | { readonly fixed: unknown };

/** A query compiled for one dialect adapter and list of plugins (a schema), and how to fill in its parameters. */
interface Template {
  readonly compiled: CompiledQuery;
  readonly slots: readonly ParameterSlot[];
}

/**
 * The statements compiled for one dialect adapter and one list of plugins, as a trie: a node per
 * plugin in order (a transaction's executor copies its handle's plugin list, not the plugins).
 */
interface TemplateNode {
  template?: Template;
  readonly next: WeakMap<object, TemplateNode>;
}

/** Where a prepared query runs: a Kysely handle or a transaction. */
export type QueryRunner<DB> = Kysely<DB>;

/**
 * A query whose SQL is built and compiled once per Kysely handle, then run with new values.
 * Kysely rebuilds a statement's operation tree, transforms it for each plugin (the schema of
 * `withSchema`) and compiles it to SQL on every call: ~12 % of the embedded store's CPU under a
 * checkout load, for the same few dozen statements. Kysely's own recipe "Splitting query
 * building and execution" runs a compiled query through `executeQuery`; this adds the parameters.
 *
 * Shapes: `P` holds the parameters (the values the built query would have held), `O` is a row of
 * the result (a select's, or a write's `returning`).
 */
export interface PreparedQuery<DB, P extends object, O> {
  /** The rows: a select's, or a write's `returning`. */
  rows(db: QueryRunner<DB>, params: P): Promise<O[]>;
  /** The first row, or undefined when there is none. */
  first(db: QueryRunner<DB>, params: P): Promise<O | undefined>;
  /** The count of rows an insert, update or delete affected (0 when the driver reports none). */
  affected(db: QueryRunner<DB>, params: P): Promise<number>;
  /** The compiled SQL for `db` (tests, logs). */
  sql(db: QueryRunner<DB>): string;
}

/**
 * Prepares a query: `build(db, params)` must make the same statement whatever the values. Each
 * value read from `params` (at any depth: `params.lines[0].sku`) goes where a value goes —
 * `where`, `set`, `values`, `limit`, a `sql` template's `${}` — and nothing branches on one,
 * calls a method of one or serializes one. `build` runs once per dialect adapter and list of
 * Kysely plugins (a service's `withSchema` handle and the transactions it opens share them) with
 * stand-ins for the values; the compiled statement is kept (weakly: a closed database's
 * statements go with it) for the next calls.
 *
 * @throws TypeError at the first run for a handle, when a parameter was spliced into the SQL as
 *   text (`sql.raw`, `sql.lit`, a template literal) or serialized; at every run, when a value
 *   is undefined (a built query would have left the column out: pass null).
 */
export function prepareQuery<DB, P extends object, O>(
  build: (db: Kysely<DB>, params: P) => Compilable<O>,
): PreparedQuery<DB, P, O> {
  const root = new WeakMap<object, TemplateNode>();

  const templateFor = (db: QueryRunner<DB>): Template => {
    const executor = db.getExecutor();
    let node = child(root, executor.adapter);
    for (const plugin of executor.plugins) node = child(node.next, plugin);
    node.template ??= compileTemplate(build(db, placeholder([]) as P));
    return node.template;
  };

  const execute = (db: QueryRunner<DB>, params: P) => {
    const { compiled, slots } = templateFor(db);
    const parameters = slots.map((slot) => ("fixed" in slot ? slot.fixed : valueAt(params, slot.path)));
    return db.executeQuery<O>({ ...compiled, parameters });
  };

  return {
    rows: async (db, params) => (await execute(db, params)).rows,
    first: async (db, params) => (await execute(db, params)).rows[0],
    affected: async (db, params) => Number((await execute(db, params)).numAffectedRows ?? 0n),
    sql: (db) => templateFor(db).compiled.sql,
  };
}

/**
 * Prepared queries of a few shapes, one per `key` (made on first use and kept): for a statement
 * whose shape follows something other than a value — the number of rows an insert writes, a
 * guard that some calls add. `build` gets the key besides `prepareQuery`'s arguments. Keys are
 * compared as Map keys; their count should stay small (each keeps its statements).
 */
export function prepareQueries<K, DB, P extends object, O>(
  build: (db: Kysely<DB>, params: P, key: K) => Compilable<O>,
): (key: K) => PreparedQuery<DB, P, O> {
  const byKey = new Map<K, PreparedQuery<DB, P, O>>();
  return (key) => {
    let query = byKey.get(key);
    if (query === undefined) {
      query = prepareQuery((db: Kysely<DB>, params: P) => build(db, params, key));
      byKey.set(key, query);
    }
    return query;
  };
}

/**
 * The stand-ins of the first `count` items of `items`, a list in a prepared query's parameters:
 * for a statement of `prepareQueries` keyed by its number of rows. A stand-in has no length to
 * map over, so the shape's key gives it.
 */
export function standInsOf<T>(items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items[i]!);
}

function child(nodes: WeakMap<object, TemplateNode>, key: object): TemplateNode {
  let node = nodes.get(key);
  if (node === undefined) {
    node = { next: new WeakMap() };
    nodes.set(key, node);
  }
  return node;
}

function valueAt(params: object, path: readonly string[]): unknown {
  let value: unknown = params;
  for (const name of path) value = (value as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) throw new TypeError(`parameter "${path.join(".")}" of a prepared query is undefined`);
  return value;
}

function compileTemplate(query: Compilable<unknown>): Template {
  const compiled = query.compile();
  const spliced = SPLICED.exec(compiled.sql);
  if (spliced !== null) {
    throw new TypeError(`parameter "${spliced[1]}" of a prepared query was spliced into its SQL as text`);
  }
  const slots = compiled.parameters.map((value): ParameterSlot => {
    const path = typeof value === "object" && value !== null ? placeholderPaths.get(value) : undefined;
    return path === undefined ? { fixed: value } : { path };
  });
  return { compiled, slots };
}
