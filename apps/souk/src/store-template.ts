// The embedded store's template cluster: every schema migrated and the demo catalog seeded, made
// once per machine and code version, so that a store on an empty data directory starts as a copy
// of it (~0.2 s) instead of migrating eight schemas (~2.5 s) and seeding 5,000 products (~2 s).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { CatalogService } from "@souk/contracts/catalog";
import { InventoryService } from "@souk/contracts/inventory";
import { ensurePgliteTemplate, inProcessClient, openDatabase, systemClock, type Logger } from "@souk/platform";
import { createInProcessEventLog } from "@souk/messaging";
import { ANALYTICS_SCHEMA, analyticsMigrations } from "@souk/analytics";
import { CART_SCHEMA, cartMigrations } from "@souk/cart";
import { CATALOG_SCHEMA, catalogMigrations, createCatalogService } from "@souk/catalog";
import { IDENTITY_SCHEMA, identityMigrations } from "@souk/identity";
import { INVENTORY_SCHEMA, inventoryMigrations, createInventoryService } from "@souk/inventory";
import { NOTIFICATIONS_SCHEMA, notificationsMigrations } from "@souk/notifications";
import { ORDERS_SCHEMA, ordersMigrations } from "@souk/orders";
import { PAYMENTS_SCHEMA, paymentsMigrations } from "@souk/payments";
import type { EmbeddedConfig } from "./config.ts";
import { REPO_ROOT } from "./repo-root.ts";
import { removeStaleEntries } from "./stale-entries.ts";

/** The name every store template's directory starts with (the rest is its key). */
const TEMPLATE_PREFIX = "souk-store-template-";

/** A template of another code version is removed when a new one is built and it is older than this. */
const STALE_TEMPLATE_AGE_MS = 60 * 60_000;

/**
 * Loads the demo catalog through catalog's SeedProducts and gives every seeded SKU its initial
 * stock through inventory's SetStockLevels — what a store needs on its first start. Does nothing
 * when the catalog already has products.
 * @returns how many products were seeded (0: the catalog had some).
 */
export async function seedDemoStore(
  clients: { catalog: Client<typeof CatalogService>; inventory: Client<typeof InventoryService> },
  count: number,
  logger: Logger,
): Promise<number> {
  const seed = await clients.catalog.seedProducts({ count });
  if (!seed.seeded) return 0;
  await clients.inventory.setStockLevels({ entries: seed.stock.map((s) => ({ sku: s.sku, onHand: s.quantity })) });
  logger.info({ products: seed.stock.length }, "seeded the demo catalog and its stock");
  return seed.stock.length;
}

/**
 * The key of the store template for this code: SHA-256 (hex, first 16 digits) over the lockfile
 * (PGlite's and Kysely's versions among the rest), every non-test TypeScript file under
 * `packages/` and `services/` (the migrations, the demo catalog and everything they run), in path
 * order, and `seedCount`. Any edit there gives a new key, so a migration changed in place or a
 * new demo product is never served from an old template. Takes ~20–40 ms.
 * @throws Error from the file system (the repository's files unreadable).
 */
export function storeTemplateKey(seedCount: number, root: string = REPO_ROOT): string {
  const hash = createHash("sha256");
  hash.update(`seed-count ${seedCount}\n`);
  hash.update(readFileSync(join(root, "package-lock.json")));
  const files = ["packages", "services"].flatMap((top) =>
    readdirSync(join(root, top), { recursive: true, encoding: "utf8" })
      .filter((path) => path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.includes("node_modules"))
      .map((path) => join(top, path)),
  );
  for (const path of files.sort()) {
    hash.update(`\0${path}\0`);
    hash.update(readFileSync(join(root, path)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Where `ensureStoreTemplate` keeps templates and how it names this code's. */
export interface StoreTemplateOptions {
  /** Products of the demo catalog (CATALOG_SEED_COUNT). */
  readonly seedCount: number;
  /** The configuration the services are built with while seeding. */
  readonly config: EmbeddedConfig;
  readonly logger: Logger;
  /** Directory holding the templates (SOUK_TEMPLATE_DIR). */
  readonly directory: string;
}

/**
 * The store template of this code version (see `storeTemplateKey`), built when missing: a
 * cluster copied from the initdb template, every service's schema migrated, the demo catalog
 * seeded with its stock. It holds nothing made per store — identity's signing key, users,
 * orders and every other row are made by the store that copies it — so stores copied from one
 * template share only the demo catalog (its product ids and timestamps included). Building one
 * removes the templates of other code versions older than an hour.
 * @returns the template's directory, for `openDatabase({ dataDir, templateDir })`.
 * @throws Error from migrations, the seed or the file system; nothing is left half-built.
 */
export async function ensureStoreTemplate(options: StoreTemplateOptions): Promise<string> {
  const { directory } = options;
  const template = join(directory, `${TEMPLATE_PREFIX}${storeTemplateKey(options.seedCount)}`);
  let built = false;
  const started = performance.now();
  await ensurePgliteTemplate(template, async (dataDir) => {
    const database = await openDatabase({ dataDir });
    const eventLog = createInProcessEventLog({ logger: options.logger });
    try {
      await database.migrate(ANALYTICS_SCHEMA, analyticsMigrations);
      await database.migrate(CART_SCHEMA, cartMigrations);
      await database.migrate(CATALOG_SCHEMA, catalogMigrations);
      await database.migrate(IDENTITY_SCHEMA, identityMigrations);
      await database.migrate(INVENTORY_SCHEMA, inventoryMigrations);
      await database.migrate(NOTIFICATIONS_SCHEMA, notificationsMigrations);
      await database.migrate(ORDERS_SCHEMA, ordersMigrations);
      await database.migrate(PAYMENTS_SCHEMA, paymentsMigrations(PAYMENTS_SCHEMA));
      // The seed, through the two services that own it (built on the migrated schemas).
      const deps = { database, config: options.config, logger: options.logger, clock: systemClock, eventLog };
      const inventory = await createInventoryService(deps);
      const catalog = await createCatalogService(deps);
      await seedDemoStore(
        {
          catalog: inProcessClient(CatalogService, catalog.handlers),
          inventory: inProcessClient(InventoryService, inventory.handlers),
        },
        options.seedCount,
        options.logger,
      );
      built = true;
    } finally {
      await eventLog.close();
      await database.close();
    }
  });
  if (built) {
    options.logger.info(
      { template, ms: Math.round(performance.now() - started) },
      "built the store template (migrated and seeded); stores on empty data directories start as copies of it",
    );
    // Templates of other code versions (and abandoned builds).
    await removeStaleEntries(
      directory,
      STALE_TEMPLATE_AGE_MS,
      (name) => name.startsWith(TEMPLATE_PREFIX) && join(directory, name) !== template,
    );
  }
  return template;
}
