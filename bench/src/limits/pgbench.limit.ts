// The database's limit for the same work: pgbench running the search's SQL and the checkout's SQL
// against the PostgreSQL of `npm run services`, in a scratch database cloned from the services'
// own schemas (pg_dump), so the real data is never touched.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresBinDir, runChecked, runProgram } from "../programs.ts";

/** How to reach the PostgreSQL of `npm run services` (apps/souk/src/backing/backing.config.ts). */
export interface PgServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/** One pgbench run. */
export interface PgbenchRun {
  readonly clients: number;
  readonly durationS: number;
  /** Script executions per second (a whole search, or a whole checkout). */
  readonly tps: number;
  readonly latencyAvgMs: number;
  readonly transactions: number;
  readonly failed: number;
}

/** A script's runs and the best of them (its limit). */
export interface PgbenchLimit {
  readonly script: "search" | "checkout";
  readonly runs: readonly PgbenchRun[];
  readonly bestTps: number;
}

/** The checkout's statements as a pgbench script (bench/sql/checkout.pgbench.sql). */
export const CHECKOUT_SCRIPT = fileURLToPath(new URL("../../sql/checkout.pgbench.sql", import.meta.url));

/** The scratch database's name. */
export const SCRATCH_DATABASE = "souk_bench_scratch";

/**
 * The search's SQL for one term, as catalog's store runs it (services/catalog/src/store/
 * catalog.store.ts: a transaction setting the trigram threshold, then the ranked full-text +
 * trigram query for one page of 10 plus one row to know if there is a next page). The term is a
 * literal here where the service binds it as a parameter: an unnamed statement gets a custom
 * plan with the value either way.
 */
export function searchScript(term: string, typoThreshold: number): string {
  const q = `'${term.replaceAll("'", "''")}'`;
  const tsQuery = `websearch_to_tsquery('english', ${q})`;
  return [
    "begin;",
    `select set_config('pg_trgm.word_similarity_threshold', '${String(typoThreshold)}', true);`,
    `select * from (select "id", "sku", "name", "description", "category", "price_minor", "currency", "images", ` +
      `"created_at", "updated_at", (ts_rank(search, ${tsQuery})::float8 + word_similarity(lower(${q}), lower(name))::float8) ` +
      `as "score" from "catalog"."products" where (search @@ ${tsQuery} or lower(name) %> lower(${q}))) as "matches" ` +
      `order by "score" desc, "id" asc limit 11;`,
    "commit;",
    "",
  ].join("\n");
}

/**
 * Reads pgbench's report: `tps = … (without initial connection time)`, `latency average = … ms`,
 * `number of transactions actually processed: …`, `number of failed transactions: …`.
 *
 * @throws Error when there is no tps line (pgbench aborted).
 */
export function parsePgbenchOutput(output: string): Omit<PgbenchRun, "clients" | "durationS"> {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]);
  };
  const tps = number(/^tps = ([\d.]+)/m);
  if (Number.isNaN(tps))
    throw new Error(`pgbench reported no tps:\n${output.trim().split("\n").slice(-10).join("\n")}`);
  const failed = number(/^number of failed transactions: (\d+)/m);
  return {
    tps,
    latencyAvgMs: number(/^latency average = ([\d.]+) ms/m),
    transactions: number(/^number of transactions actually processed: (\d+)/m),
    failed: Number.isNaN(failed) ? 0 : failed,
  };
}

/** Options of `measurePgbenchLimits`. */
export interface PgbenchOptions {
  readonly server: PgServer;
  /** Scripts and pgbench logs go here. */
  readonly workDir: string;
  readonly searchTerms: readonly string[];
  readonly typoThreshold: number;
  readonly durationS: number;
  /** One pgbench run per client count; the best tps is the limit. */
  readonly clients: readonly number[];
  readonly log: (line: string) => void;
}

/**
 * Clones the services' schemas into a scratch database (catalog and inventory with their data,
 * orders and payments empty), runs pgbench with the search scripts (one per term, equal weights)
 * and the checkout script at each client count, then drops the scratch database.
 *
 * @throws Error when a program fails or the services' databases are not seeded.
 */
export async function measurePgbenchLimits(options: PgbenchOptions): Promise<readonly PgbenchLimit[]> {
  const bin = await postgresBinDir();
  const { server } = options;
  const env = { PGPASSWORD: server.password, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user };
  const psql = (database: string, sql: string) =>
    runChecked(
      "psql",
      join(bin, "psql"),
      ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
      {
        env,
        timeoutMs: 120_000,
      },
    );
  await mkdir(options.workDir, { recursive: true });

  options.log(`limits: scratch database ${SCRATCH_DATABASE} from the services' schemas (pg_dump)`);
  await psql("postgres", `drop database if exists ${SCRATCH_DATABASE} with (force)`);
  await psql("postgres", `create database ${SCRATCH_DATABASE}`);
  try {
    await psql(SCRATCH_DATABASE, "create extension if not exists pg_trgm");
    const dumps: [database: string, dataToo: boolean][] = [
      ["catalog", true],
      ["inventory", true],
      ["orders", false],
      ["payments", false],
    ];
    for (const [database, dataToo] of dumps) {
      const file = join(options.workDir, `${database}.dump.sql`);
      await runChecked(
        `pg_dump ${database}`,
        join(bin, "pg_dump"),
        [
          "--no-owner",
          "--no-privileges",
          ...(dataToo ? [] : ["--schema-only"]),
          "-n",
          database,
          "-d",
          database,
          "-f",
          file,
        ],
        { env, timeoutMs: 120_000 },
      );
      await runChecked(
        `psql < ${database} dump`,
        join(bin, "psql"),
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", SCRATCH_DATABASE, "-f", file],
        { env, timeoutMs: 120_000 },
      );
      await rm(file, { force: true });
    }
    // The checkout script picks a stocked SKU by number (pgbench variables are numbers).
    await psql(
      SCRATCH_DATABASE,
      "create schema bench; create table bench.stocked_skus as select row_number() over (order by s.sku) as n, s.sku, " +
        "p.id::text as product_id, p.name from inventory.stock s join catalog.products p on p.sku = s.sku " +
        "where s.on_hand - s.reserved >= 50; alter table bench.stocked_skus add primary key (n); analyze",
    );
    const stocked = Number((await psql(SCRATCH_DATABASE, "select count(*) from bench.stocked_skus")).stdout.trim());
    const products = Number((await psql(SCRATCH_DATABASE, "select count(*) from catalog.products")).stdout.trim());
    if (!(stocked > 0) || !(products > 0)) {
      throw new Error("the services' catalog/inventory databases are empty: run `npm run up` once to seed them");
    }

    const searchFiles: string[] = [];
    for (const [index, term] of options.searchTerms.entries()) {
      const file = join(options.workDir, `search-${String(index).padStart(2, "0")}.pgbench.sql`);
      await writeFile(file, searchScript(term, options.typoThreshold));
      searchFiles.push(file);
    }
    const checkoutFile = join(options.workDir, "checkout.pgbench.sql");
    await writeFile(checkoutFile, await readFile(CHECKOUT_SCRIPT, "utf8"));

    const limits: PgbenchLimit[] = [];
    const scripts: [PgbenchLimit["script"], string[]][] = [
      ["search", searchFiles.map((file) => `${file}@1`)],
      ["checkout", [checkoutFile]],
    ];
    for (const [script, files] of scripts) {
      const runs: PgbenchRun[] = [];
      for (const clients of options.clients) {
        const args = [
          "-n",
          "-M",
          "extended",
          "-c",
          String(clients),
          "-j",
          String(Math.min(clients, 2)),
          "-T",
          String(options.durationS),
          "-D",
          `stocked=${stocked}`,
          ...files.flatMap((file) => ["-f", file]),
          SCRATCH_DATABASE,
        ];
        const result = await runProgram(join(bin, "pgbench"), args, {
          env,
          timeoutMs: (options.durationS + 60) * 1000,
        });
        await writeFile(
          join(options.workDir, `${script}-c${clients}.pgbench.log`),
          `${result.stdout}\n${result.stderr}`,
        );
        const parsed = parsePgbenchOutput(`${result.stdout}\n${result.stderr}`);
        runs.push({ clients, durationS: options.durationS, ...parsed });
        options.log(
          `limits: pgbench ${script} at ${clients} clients: ${parsed.tps.toFixed(1)} tps, ` +
            `latency ${parsed.latencyAvgMs.toFixed(1)} ms` +
            (parsed.failed > 0 ? `, ${parsed.failed} failed` : ""),
        );
      }
      limits.push({ script, runs, bestTps: Math.max(...runs.map((r) => r.tps)) });
    }
    return limits;
  } finally {
    await psql("postgres", `drop database if exists ${SCRATCH_DATABASE} with (force)`).catch(() => undefined);
  }
}

/**
 * Whether the services' databases hold a seeded catalog (what the scratch database is cloned
 * from): false when catalog's schema or products are missing (no `npm run up` ever ran here).
 */
export async function servicesSeeded(server: PgServer): Promise<boolean> {
  const bin = await postgresBinDir();
  const result = await runProgram(
    join(bin, "psql"),
    ["-X", "-q", "-t", "-A", "-d", "catalog", "-c", "select count(*) from catalog.products"],
    {
      env: { PGPASSWORD: server.password, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user },
      timeoutMs: 30_000,
    },
  );
  return result.code === 0 && Number(result.stdout.trim()) > 0;
}
