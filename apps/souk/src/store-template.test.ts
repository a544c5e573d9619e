import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@souk/platform";
import { startEmbedded } from "./embedded.ts";
import { storeTemplateKey } from "./store-template.ts";

describe("storeTemplateKey", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "souk-template-key-"));
    await mkdir(join(root, "packages/platform/src"), { recursive: true });
    await mkdir(join(root, "services/catalog/src/store"), { recursive: true });
    await mkdir(join(root, "services/catalog/node_modules/dep"), { recursive: true });
    await writeFile(join(root, "package-lock.json"), '{"lockfileVersion":3}');
    await writeFile(join(root, "packages/platform/src/database.ts"), "export const a = 1;");
    await writeFile(join(root, "services/catalog/src/store/migrations.ts"), "export const m = 1;");
    await writeFile(join(root, "services/catalog/src/store/migrations.test.ts"), "test 1");
    await writeFile(join(root, "services/catalog/node_modules/dep/index.ts"), "dep 1");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("changes with any source file, the lockfile and the seed count; not with tests or node_modules", async () => {
    const key = storeTemplateKey(100, root);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(storeTemplateKey(100, root)).toBe(key);
    expect(storeTemplateKey(101, root)).not.toBe(key);

    await writeFile(join(root, "services/catalog/src/store/migrations.test.ts"), "test 2");
    await writeFile(join(root, "services/catalog/node_modules/dep/index.ts"), "dep 2");
    expect(storeTemplateKey(100, root)).toBe(key);

    await writeFile(join(root, "services/catalog/src/store/migrations.ts"), "export const m = 2;");
    const edited = storeTemplateKey(100, root);
    expect(edited).not.toBe(key);
    await writeFile(join(root, "packages/platform/src/database.ts"), "export const a = 2;");
    expect(storeTemplateKey(100, root)).not.toBe(edited);
    const lock = storeTemplateKey(100, root);
    await writeFile(join(root, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
    expect(storeTemplateKey(100, root)).not.toBe(lock);
  });
});

describe("embedded stores on empty data directories (the store template)", () => {
  let root: string;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "souk-template-stores-test-"));
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await rm(root, { recursive: true, force: true });
  });

  it("start as copies of one migrated, seeded template, each with its own signing key", async () => {
    const templates = join(root, "templates");
    await mkdir(templates);
    // Templates of other code versions: an old one is removed when a new one is built, a recent one kept.
    const old = join(templates, "souk-store-template-0000000000000000");
    const recent = join(templates, "souk-store-template-1111111111111111");
    await mkdir(old);
    await mkdir(recent);
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);

    const start = async (name: string) => {
      const souk = await startEmbedded({
        port: 0,
        dataDir: join(root, name),
        seedCount: 30,
        env: { LOG_LEVEL: "silent", HOST: "127.0.0.1", SOUK_TEMPLATE_DIR: templates },
      });
      stops.push(() => souk.stop());
      const get = async (path: string) => (await fetch(`${souk.baseUrl}${path}`)).json();
      const page = (await get("/v1/products?limit=100")) as { items: { id: string; available: number }[] };
      const jwks = (await get("/.well-known/jwks.json")) as { keys: { kid: string }[] };
      const units = page.items.reduce((sum, p) => sum + p.available, 0);
      return { ids: page.items.map((p) => p.id).sort(), units, jwks };
    };
    const a = await start("a");
    const b = await start("b");

    // The demo catalog and its stock came with the copy: the same products in both stores.
    expect(a.ids).toHaveLength(30);
    expect(b.ids).toEqual(a.ids);
    // (3 % of the demo SKUs start sold out; the rest hold 5..200 units.)
    expect(a.units).toBeGreaterThan(100);
    expect(b.units).toBe(a.units);
    // Identity's signing key is made by each store, never copied.
    expect(a.jwks.keys).toHaveLength(1);
    expect(b.jwks.keys).toHaveLength(1);
    expect(b.jwks.keys[0]!.kid).not.toBe(a.jwks.keys[0]!.kid);

    const names = (await readdir(templates)).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain("souk-store-template-1111111111111111");
    const built = join(
      templates,
      names.find((name) => !name.endsWith("1111111111111111"))!,
    );

    // The template holds every schema's migrations and the seed, and nothing made per store.
    const copy = await openDatabase({ dataDir: join(root, "inspect"), templateDir: built });
    const db = copy.forSchema("public");
    for (const schema of [
      "analytics",
      "cart",
      "catalog",
      "identity",
      "inventory",
      "notifications",
      "orders",
      "payments",
    ]) {
      const history = await sql<{
        n: number;
      }>`select count(*)::int as n from ${sql.id(schema, "kysely_migration")}`.execute(db);
      expect(history.rows[0]!.n, schema).toBeGreaterThan(0);
    }
    const count = async (table: string) =>
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(table)}`.execute(db)).rows[0]!.n;
    expect(await count("catalog.products")).toBe(30);
    expect(await count("inventory.stock")).toBe(30);
    expect(await count("identity.signing_keys")).toBe(0);
    expect(await count("identity.users")).toBe(0);
    await copy.close();
  });
});
