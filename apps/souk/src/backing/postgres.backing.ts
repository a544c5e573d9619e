// PostgreSQL: one server in <state>/postgres, a database per service, the `souk` superuser with
// a scram-sha-256 password, listening on 127.0.0.1 only.
import { chown, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { LOOPBACK, PG_PASSWORD, PG_USER, postgresUrl, SERVICE_DATABASES } from "./backing.config.ts";
import { ServicesError, type BackingContext, type BackingService, type ServiceStatus } from "./backing-service.ts";
import {
  failureWithLog,
  findExecutable,
  isProcessAlive,
  readPidFile,
  requireFreePort,
  run,
  runChecked,
  waitUntil,
} from "./process.runner.ts";

const NAME = "postgres";
/** Debian installs each major version's server programs here (not on PATH). */
const DEBIAN_PG_ROOT = "/usr/lib/postgresql";
/** initdb and pg_ctl refuse to run as root: as root, the server runs as this OS user (created by the Debian package). */
const PG_OS_USER = "postgres";
/** Our settings, included last from postgresql.conf so they win; rewritten on every start. */
const SOUK_CONF = "souk.conf";

/**
 * The PostgreSQL backing service. Local runtime: `initdb` (first start), `pg_ctl start -w`,
 * then every database of `SERVICE_DATABASES` created when missing. Stop is `pg_ctl stop -m fast`.
 */
export function postgresService(ctx: BackingContext): BackingService {
  const { layout, config } = ctx;
  const osUser = ctx.isRoot ? PG_OS_USER : undefined;
  const logFile = join(layout.logs, "postgres.log");
  const timeoutMs = config.SOUK_SERVICES_TIMEOUT_MS;
  const url = postgresUrl(config, "<service>");

  async function binDir(): Promise<string | undefined> {
    const initialized = await dataVersion(layout.postgresData);
    const versions = await installedVersions();
    if (initialized === undefined) {
      return versions[0] === undefined ? undefined : join(DEBIAN_PG_ROOT, versions[0], "bin");
    }
    if (versions.includes(initialized)) return join(DEBIAN_PG_ROOT, initialized, "bin");
    if (versions.length === 0) return undefined;
    throw new ServicesError(
      NAME,
      `${layout.postgresData} was initialized by PostgreSQL ${initialized}, but only ${versions.join(", ")} is installed: ` +
        `install postgresql-${initialized}, or remove the directory to start afresh`,
    );
  }

  async function requireBinDir(): Promise<string> {
    const dir = await binDir();
    if (dir === undefined) throw new ServicesError(NAME, `no server found under ${DEBIAN_PG_ROOT}/<version>/bin`);
    return dir;
  }

  /** The pid of this state directory's postmaster, when it runs. */
  async function runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(join(layout.postgresData, "postmaster.pid"));
    return pid !== undefined && (await isProcessAlive(pid, "postgres")) ? pid : undefined;
  }

  async function probe(): Promise<boolean> {
    const rows = await query(postgresUrl(config, "postgres"), "select 1 as ok");
    return rows[0]?.["ok"] === 1;
  }

  /** Directories and the log file, owned by the OS user that runs the server. */
  async function prepareLocal(): Promise<void> {
    await mkdir(layout.logs, { recursive: true });
    await mkdir(layout.postgresData, { recursive: true, mode: 0o700 });
    await mkdir(layout.postgresRun, { recursive: true, mode: 0o700 });
    await writeFile(logFile, "", { flag: "a" });
    if (osUser === undefined) return;
    const { uid, gid } = await osUserIds(osUser);
    for (const path of [layout.postgresData, layout.postgresRun, logFile]) await chown(path, uid, gid);
    const reachable = await run("test", ["-w", layout.postgresRun], { timeoutMs: 10_000, asUser: osUser });
    if (reachable.code !== 0) {
      throw new ServicesError(
        NAME,
        `the "${osUser}" OS user cannot reach ${layout.postgresRun}: PostgreSQL refuses to run as root, so ` +
          `SOUK_SERVICES_DIR must be on a path every user may traverse (e.g. not under /root)`,
      );
    }
  }

  async function initdb(bin: string): Promise<void> {
    const passwordFile = join(layout.postgresRun, "initdb-password");
    await writeFile(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
    if (osUser !== undefined) {
      const { uid, gid } = await osUserIds(osUser);
      await chown(passwordFile, uid, gid);
    }
    try {
      await runChecked(
        NAME,
        "initdb",
        join(bin, "initdb"),
        [
          `--pgdata=${layout.postgresData}`,
          `--username=${PG_USER}`,
          `--pwfile=${passwordFile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--locale=C.UTF-8",
        ],
        { timeoutMs: Math.max(timeoutMs, 120_000), asUser: osUser, cwd: layout.root },
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** Writes souk.conf (port, loopback, socket dir, durability) and includes it from postgresql.conf once. */
  async function configure(): Promise<void> {
    const quoted = (value: string) => `'${value.replaceAll("'", "''")}'`;
    const settings = [
      "# Written by `npm run services` on every start: change SOUK_PG_PORT / SOUK_SERVICES_DIR instead.",
      `listen_addresses = ${quoted(LOOPBACK)}`,
      `port = ${config.SOUK_PG_PORT}`,
      `unix_socket_directories = ${quoted(layout.postgresRun)}`,
      "password_encryption = 'scram-sha-256'",
      // Durability as in production: the crash tests rely on acknowledged commits surviving.
      "fsync = on",
      "synchronous_commit = on",
      "full_page_writes = on",
      // Several services × replicas × a pool each, all on one development server.
      "max_connections = 200",
      "",
    ].join("\n");
    const soukConf = join(layout.postgresData, SOUK_CONF);
    await writeFile(soukConf, settings);
    const mainConf = join(layout.postgresData, "postgresql.conf");
    const main = await readFile(mainConf, "utf8");
    const include = `include '${SOUK_CONF}'`;
    if (!main.split("\n").includes(include)) await writeFile(mainConf, `${main}\n${include}\n`);
    if (osUser !== undefined) {
      const { uid, gid } = await osUserIds(osUser);
      for (const path of [soukConf, mainConf]) await chown(path, uid, gid);
    }
  }

  async function provision(): Promise<void> {
    await ctx.step(NAME, "databases", async () => {
      const rows = await query(
        postgresUrl(config, "postgres"),
        "select datname from pg_database where datname = any($1::text[])",
        [[...SERVICE_DATABASES]],
      );
      const existing = new Set(rows.map((row) => String(row["datname"])));
      const missing = SERVICE_DATABASES.filter((name) => !existing.has(name));
      // Names come from SERVICE_DATABASES (lower-case identifiers), never from input.
      for (const name of missing) await query(postgresUrl(config, "postgres"), `create database "${name}"`);
      return missing.length === 0 ? "all present" : `created ${missing.join(", ")}`;
    });
  }

  return {
    name: NAME,
    composeService: "postgres",
    url,

    async missingPackages() {
      return (await binDir()) === undefined ? ["postgresql"] : [];
    },

    async prepare() {
      // Nothing shared with the Compose runtime: there the data lives in a named volume.
    },

    async start() {
      const bin = await requireBinDir();
      await prepareLocal();
      if ((await runningPid()) !== undefined) {
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `running but not answering on ${LOOPBACK}:${config.SOUK_PG_PORT}`, logFile);
        }
        await provision();
        return "already running";
      }
      if (await probe().catch(() => false)) {
        throw new ServicesError(
          NAME,
          `${LOOPBACK}:${config.SOUK_PG_PORT} already answers, but not from ${layout.postgresData} (another server? set SOUK_PG_PORT)`,
        );
      }
      await requireFreePort(NAME, config.SOUK_PG_PORT, "SOUK_PG_PORT");
      if ((await dataVersion(layout.postgresData)) === undefined) {
        await ctx.step(NAME, `initdb into ${layout.postgresData}`, () => initdb(bin));
      }
      await configure();
      await ctx.step(NAME, `pg_ctl start on ${LOOPBACK}:${config.SOUK_PG_PORT}`, async () => {
        const seconds = String(Math.ceil(timeoutMs / 1000));
        await runChecked(
          NAME,
          "pg_ctl start",
          join(bin, "pg_ctl"),
          [
            "start",
            "--wait",
            `--timeout=${seconds}`,
            "--silent",
            `--pgdata=${layout.postgresData}`,
            `--log=${logFile}`,
          ],
          { timeoutMs: timeoutMs + 10_000, asUser: osUser, cwd: layout.root, logFile },
        );
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `started but not answering on ${LOOPBACK}:${config.SOUK_PG_PORT}`, logFile);
        }
      });
      await provision();
      return "started";
    },

    provision,

    async stop() {
      if ((await runningPid()) === undefined) return "not running";
      const bin = await requireBinDir();
      await ctx.step(NAME, "pg_ctl stop -m fast", async () => {
        const seconds = String(Math.ceil(timeoutMs / 1000));
        await runChecked(
          NAME,
          "pg_ctl stop",
          join(bin, "pg_ctl"),
          ["stop", "--wait", `--timeout=${seconds}`, "--silent", "--mode=fast", `--pgdata=${layout.postgresData}`],
          { timeoutMs: timeoutMs + 10_000, asUser: osUser, cwd: layout.root, logFile },
        );
      });
      return "stopped";
    },

    async status(): Promise<ServiceStatus> {
      if ((await binDir()) === undefined) return { up: false, detail: "not installed" };
      const pid = await runningPid();
      if (pid === undefined) {
        const initialized = (await dataVersion(layout.postgresData)) !== undefined;
        return { up: false, detail: initialized ? "not running" : "not initialized" };
      }
      const answers = await probe().catch(() => false);
      return answers
        ? { up: true, detail: `pid ${pid}; databases ${SERVICE_DATABASES.join(", ")}` }
        : { up: false, detail: `pid ${pid} runs but does not answer (log: ${logFile})` };
    },

    probe: () => probe().catch(() => false),
  };
}

/** Runs one statement on a fresh connection (2 s connect timeout) and returns its rows. */
async function query(url: string, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A server shutting down mid-query also emits "error"; the rejected query already reports it.
  client.on("error", () => {});
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql, values);
    return result.rows;
  } finally {
    await client.end();
  }
}

/** Installed major versions under /usr/lib/postgresql with a server, newest first. */
async function installedVersions(): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(DEBIAN_PG_ROOT);
  } catch {
    return []; // no PostgreSQL package installed
  }
  const versions: string[] = [];
  for (const version of entries) {
    const bin = join(DEBIAN_PG_ROOT, version, "bin");
    const tools = await Promise.all(["initdb", "pg_ctl", "postgres"].map((tool) => findExecutable(tool, [bin])));
    if (tools.every((tool) => tool?.startsWith(bin))) versions.push(version);
  }
  return versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
}

/** The major version that initialized `dataDir` (its PG_VERSION file), or undefined. */
async function dataVersion(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dataDir, "PG_VERSION"), "utf8")).trim();
  } catch {
    return undefined; // not initialized yet
  }
}

/** uid and gid of an OS user, from `id` (which reads every NSS source, not just /etc/passwd). */
async function osUserIds(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all(
    ["-u", "-g"].map(async (flag) => {
      const result = await run("id", [flag, user], { timeoutMs: 10_000 });
      if (result.code !== 0) {
        throw new ServicesError(
          NAME,
          `no "${user}" OS user (the postgresql package creates it): ${result.stderr.trim()}`,
        );
      }
      return Number.parseInt(result.stdout.trim(), 10);
    }),
  );
  return { uid: uid ?? 0, gid: gid ?? 0 };
}
