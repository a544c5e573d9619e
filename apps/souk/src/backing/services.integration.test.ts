// `npm run services` for real: daemons (or Compose containers) on loopback, clients that talk to
// them. The first run on a fresh machine installs packages with apt-get: minutes, not seconds.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SERVICE_DATABASES } from "./backing.config.ts";
import { backingServiceUrls, nginxConfDir, reloadBackingNginx, runServicesCommand } from "./services.command.ts";

const FIRST_START_TIMEOUT_MS = 20 * 60_000;

/** Runs the command with `env`, returning its exit code and every line it printed. */
async function services(argv: string[], env: Record<string, string | undefined>) {
  const lines: string[] = [];
  const code = await runServicesCommand(argv, { log: (line) => lines.push(line) }, env);
  return { code, output: lines.join("\n") };
}

async function selectOne(url: string): Promise<{ ok: number; database: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const result = await client.query<{ ok: number; database: string }>(
      "select 1 as ok, current_database() as database",
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error("select 1 returned no row");
    return row;
  } finally {
    await client.end();
  }
}

// The shared instance (this process's SOUK_* environment, default ports): other suites use it,
// so it is started when needed and never stopped here.
describe("services start / status on the shared instance", () => {
  const env = process.env;
  const urls = backingServiceUrls(env);

  test(
    "start brings PostgreSQL, Redis and NGINX up, and a second start finds them running",
    async () => {
      const first = await services(["start"], env);
      expect(first.code, first.output).toBe(0);

      const started = performance.now();
      const second = await services([], env);
      const secondMs = performance.now() - started;
      expect(second.code, second.output).toBe(0);
      if (!second.output.includes("Docker Compose")) {
        expect(second.output.match(/already running/g)?.length, second.output).toBe(3);
      }
      expect(secondMs, "an idempotent start is fast").toBeLessThan(10_000);
    },
    FIRST_START_TIMEOUT_MS,
  );

  test("status reports every service up with its URL", async () => {
    const { code, output } = await services(["status"], env);
    expect(code, output).toBe(0);
    expect(output).toMatch(/postgres\s+up\s+postgres:\/\/souk:souk@127\.0\.0\.1:\d+\/<service>/);
    expect(output).toContain(`redis     up    ${urls.redisUrl}`);
    expect(output).toContain(`nginx     up    ${urls.nginxUrl}`);
  });

  test.each([...SERVICE_DATABASES])("the %s database answers select 1", async (service) => {
    const url = urls.databaseUrl(service);
    expect(url).toMatch(new RegExp(`^postgres://souk:souk@127\\.0\\.0\\.1:\\d+/${service}$`));
    expect(await selectOne(url)).toEqual({ ok: 1, database: service });
  });

  test("Redis answers PING, SET and GET", async () => {
    const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe("PONG");
      const key = `souk:services-test:${process.pid}:${Date.now()}`;
      expect(await redis.set(key, "hello", "EX", 60)).toBe("OK");
      expect(await redis.get(key)).toBe("hello");
      await redis.del(key);
    } finally {
      await redis.quit();
    }
  });

  test("NGINX answers /healthz", async () => {
    const response = await fetch(`${urls.nginxUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
    const missing = await fetch(`${urls.nginxUrl}/nothing-here`, { signal: AbortSignal.timeout(5000) });
    expect(missing.status).toBe(404);
  });
});

// `stop` only ever runs on a private instance: its own state directory and ports.
describe("services stop on a private instance", () => {
  let dir: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "souk-services-test-"));
    env = {
      ...process.env,
      SOUK_SERVICES_DIR: dir,
      SOUK_PG_PORT: "55433",
      SOUK_REDIS_PORT: "56380",
      SOUK_NGINX_PORT: "58081",
    };
  });

  afterAll(async () => {
    // A failed assertion may have left it running; stopping a stopped instance is a no-op.
    await services(["stop"], env);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  test(
    "stop stops what start started, status then says down, and a second stop is harmless",
    async () => {
      const started = await services(["start"], env);
      expect(started.code, started.output).toBe(0);
      expect(started.output).toContain(`state in ${dir}`);
      const urls = backingServiceUrls(env);
      expect(urls.databaseUrl("orders")).toBe("postgres://souk:souk@127.0.0.1:55433/orders");
      expect(urls.redisUrl).toBe("redis://127.0.0.1:56380");
      expect(await selectOne(urls.databaseUrl("orders"))).toEqual({ ok: 1, database: "orders" });

      const up = await services(["status"], env);
      expect(up.code, up.output).toBe(0);

      // The launcher's way in: a server dropped into conf.d goes live on reload...
      const confDir = nginxConfDir(env);
      expect(confDir).toBe(join(dir, "nginx", "conf.d"));
      const extra = "server { listen 127.0.0.1:58082; location / { return 200 'reloaded'; } }\n";
      await writeFile(join(confDir, "50-test.conf"), extra);
      await reloadBackingNginx(env);
      const reloaded = await fetch("http://127.0.0.1:58082/", { signal: AbortSignal.timeout(5000) });
      expect(await reloaded.text()).toBe("reloaded");
      // ...a broken one is refused with NGINX's message, and the running config stays in place.
      await writeFile(join(confDir, "60-broken.conf"), "upstream broken { server ; }\n");
      await expect(reloadBackingNginx(env)).rejects.toThrow(/60-broken\.conf/);
      expect((await fetch(`${urls.nginxUrl}/healthz`)).status).toBe(200);

      // Stopping does not depend on the config being valid (60-broken.conf is still there).
      const stopped = await services(["stop"], env);
      expect(stopped.code, stopped.output).toBe(0);

      const down = await services(["status"], env);
      expect(down.code, down.output).toBe(3);
      expect(down.output.match(/\s+down\s+/g)?.length, down.output).toBe(3);
      await expect(selectOne(urls.databaseUrl("orders"))).rejects.toThrow();
      const nginx = await fetch(`${urls.nginxUrl}/healthz`).then(
        () => "answered",
        () => "refused",
      );
      expect(nginx).toBe("refused");

      const again = await services(["stop"], env);
      expect(again.code, again.output).toBe(0);
      expect(again.output.match(/not running/g)?.length ?? 0, again.output).toBeGreaterThanOrEqual(1);
    },
    FIRST_START_TIMEOUT_MS,
  );
});
