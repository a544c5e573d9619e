import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { CartService, type Cart } from "@souk/contracts/cart";
import { CatalogService, type Product } from "@souk/contracts/catalog";
import { InventoryService } from "@souk/contracts/inventory";
import {
  closeRedis,
  fromConnectError,
  inProcessClient,
  loadConfig,
  newId,
  openRedis,
  type FieldViolation,
  type Redis,
  type SqlDatabase,
} from "@souk/platform";
import { closedPort, openTestDatabase, openTestRedis, testLogger, type TestRedis } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { CatalogConfig, createCatalogService } from "../../../services/catalog/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { InventoryConfig, createInventoryService } from "../../../services/inventory/src/index.ts";
import { catalogProducts } from "./clients/catalog.client.ts";
import { inventoryAvailability } from "./clients/inventory.client.ts";
import { CART_SCHEMA, CartConfig, createCartService } from "./index.ts";
import type { CartStore } from "./domain/ports.ts";
import { createRedisCartStore } from "./store/cart.redis-store.ts";
import { createCartStore, type CartDatabase } from "./store/cart.store.ts";

const TTL_SECONDS = 3600;

/** A cart response in plain numbers, as a shopper would read it. */
function plain(cart: Cart | undefined) {
  if (cart === undefined) throw new Error("the response has no cart");
  return {
    lines: cart.lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      quantity: Number(l.quantity),
      unitMinor: l.unitPrice?.amountMinor,
      lineMinor: l.lineTotal?.amountMinor,
    })),
    total: cart.total,
  };
}

/** The SoukError a failed call carries, with the gRPC status it crossed the wire with. */
async function failure(call: Promise<unknown>): Promise<{ status: Code; code: string; fields: FieldViolation[] }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    const souk = fromConnectError(error);
    return { status: error.code, code: souk.code, fields: [...souk.fields] };
  }
  throw new Error("expected the call to fail");
}

describe.each(["postgres", "redis"] as const)("cart on %s with the real catalog and inventory", (storeKind) => {
  let database: SqlDatabase;
  /** Set for the Redis runs: the client the cart service's store uses. */
  let redis: Redis | undefined;
  let testRedis: TestRedis | undefined;
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = () => now;
  let catalog: Client<typeof CatalogService>;
  let inventory: Client<typeof InventoryService>;
  let cartService: Awaited<ReturnType<typeof createCartService>>;
  let cart: Client<typeof CartService>;
  let products: Product[];

  /** Sets on-hand stock of a product's SKU (nothing reserved unless a test reserves). */
  const stockOf = async (product: Product, onHand: number) => {
    await inventory.setStockLevels({ entries: [{ sku: product.sku, onHand: BigInt(onHand) }] });
  };
  /** The i-th seeded product, with plenty of stock unless a test sets less. */
  const productAt = (i: number): Product => {
    const product = products[i];
    if (product === undefined) throw new Error(`the catalog has no product #${i}`);
    return product;
  };
  const priceOf = (product: Product): bigint => product.price?.amountMinor ?? -1n;
  const user = () => `user-${newId()}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    const logger = testLogger();
    const inventoryService = await createInventoryService({
      database,
      config: loadConfig(InventoryConfig, {}),
      logger,
      clock,
    });
    const catalogService = await createCatalogService({
      database,
      config: loadConfig(CatalogConfig, {}),
      logger,
      clock,
    });
    inventory = inProcessClient(InventoryService, inventoryService.handlers);
    catalog = inProcessClient(CatalogService, catalogService.handlers);
    const seeded = await catalog.seedProducts({ count: 50 });
    await inventory.setStockLevels({
      entries: seeded.stock.map((s) => ({ sku: s.sku, onHand: 1000n })),
    });
    products = [];
    let cursor = "";
    do {
      const page = await catalog.listProducts({ limit: 100, cursor });
      products.push(...page.products);
      cursor = page.nextCursor;
    } while (cursor !== "");
    expect(products.length).toBeGreaterThanOrEqual(20);

    if (storeKind === "redis") testRedis = await openTestRedis("cart");
    redis = testRedis?.redis;
    cartService = await createCartService({
      database,
      redis,
      config: { ...loadConfig(CartConfig, {}), CART_TTL_SECONDS: TTL_SECONDS, CART_MAX_LINES: 5 },
      logger,
      clock,
      catalog,
      inventory,
    });
    cart = inProcessClient(CartService, cartService.handlers);
  });
  afterAll(async () => {
    await cartService?.stop();
    if (redis !== undefined) {
      await testRedis?.deleteKeys();
      await closeRedis(redis);
    }
    await database?.close();
  });

  const requireRedis = (): Redis => {
    if (redis === undefined) throw new Error("this test runs on Redis only");
    return redis;
  };
  /** A second store of the kind under test, over the same data as the service's. */
  const directStore = (ttlSeconds = TTL_SECONDS): CartStore =>
    storeKind === "redis"
      ? createRedisCartStore(requireRedis(), { ttlSeconds, clock })
      : createCartStore(database.forSchema<CartDatabase>(CART_SCHEMA), { ttlSeconds, clock });

  it("shows an empty cart, totalling 0 in the cart's currency, to a user without one", async () => {
    const { cart: empty } = await cart.getCart({ userId: user() });
    expect(plain(empty)).toEqual({
      lines: [],
      total: { $typeName: "souk.common.v1.Money", amountMinor: 0n, currency: "USD" },
    });
  });

  it("adds (summing with the existing line), updates, removes and clears, with exact totals", async () => {
    const alice = user();
    const [a, b] = [productAt(0), productAt(1)];
    await cart.addItem({ userId: alice, productId: a.id, quantity: 2n });
    await cart.addItem({ userId: alice, productId: b.id, quantity: 1n });
    const added = plain((await cart.addItem({ userId: alice, productId: a.id, quantity: 3n })).cart);
    expect(added.lines).toEqual([
      { productId: a.id, sku: a.sku, quantity: 5, unitMinor: priceOf(a), lineMinor: priceOf(a) * 5n },
      { productId: b.id, sku: b.sku, quantity: 1, unitMinor: priceOf(b), lineMinor: priceOf(b) },
    ]);
    expect(added.total).toMatchObject({ amountMinor: priceOf(a) * 5n + priceOf(b), currency: "USD" });

    const updated = plain((await cart.updateItem({ userId: alice, productId: b.id, quantity: 4n })).cart);
    expect(updated.lines.map((l) => [l.productId, l.quantity, l.lineMinor])).toEqual([
      [a.id, 5, priceOf(a) * 5n],
      [b.id, 4, priceOf(b) * 4n],
    ]);
    expect(updated.total?.amountMinor).toBe(priceOf(a) * 5n + priceOf(b) * 4n);

    const removed = plain((await cart.removeItem({ userId: alice, productId: a.id })).cart);
    expect(removed.lines.map((l) => l.productId)).toEqual([b.id]);
    expect(removed.total?.amountMinor).toBe(priceOf(b) * 4n);
    expect(plain((await cart.getCart({ userId: alice })).cart)).toEqual(removed);

    await cart.clearCart({ userId: alice });
    await cart.clearCart({ userId: alice });
    expect(plain((await cart.getCart({ userId: alice })).cart).lines).toEqual([]);
  });

  it("treats a product id in upper case as the same line (UUIDs compare case-insensitively)", async () => {
    const shopper = user();
    const product = productAt(11);
    await cart.addItem({ userId: shopper, productId: product.id, quantity: 1n });
    const summed = plain(
      (await cart.addItem({ userId: shopper, productId: product.id.toUpperCase(), quantity: 2n })).cart,
    );
    expect(summed.lines.map((l) => [l.productId, l.quantity])).toEqual([[product.id, 3]]);
    await cart.removeItem({ userId: shopper, productId: product.id.toUpperCase() });
    expect(plain((await cart.getCart({ userId: shopper })).cart).lines).toEqual([]);
  });

  it("asks the catalog in batches it accepts and reads availability from inventory", async () => {
    const ids = [...products.map((p) => p.id), ...Array.from({ length: 200 }, () => newId())];
    const found = await catalogProducts(catalog).getProducts(ids);
    expect(found.map((p) => p.id).sort()).toEqual(products.map((p) => p.id).sort());
    expect(found.find((p) => p.id === productAt(0).id)).toEqual({
      id: productAt(0).id,
      sku: productAt(0).sku,
      name: productAt(0).name,
      price: { amountMinor: Number(priceOf(productAt(0))), currency: "USD" },
    });

    await stockOf(productAt(16), 7);
    await inventory.reserveStock({ orderId: newId(), lines: [{ sku: productAt(16).sku, quantity: 3n }] });
    const available = await inventoryAvailability(inventory).available([productAt(16).sku, "NOPE-000000"]);
    expect([...available]).toEqual([[productAt(16).sku, 4]]);
  });

  it("sends the catalog and stock reads of changes handled in one turn as one call each", async () => {
    const idCalls: string[][] = [];
    const skuCalls: string[][] = [];
    const countedCatalog: Client<typeof CatalogService> = {
      ...catalog,
      batchGetProducts: (request, options) => {
        idCalls.push([...(request.ids ?? [])]);
        return catalog.batchGetProducts(request, options);
      },
    };
    const countedInventory: Client<typeof InventoryService> = {
      ...inventory,
      getAvailability: (request, options) => {
        skuCalls.push([...(request.skus ?? [])]);
        return inventory.getAvailability(request, options);
      },
    };
    const catalogPort = catalogProducts(countedCatalog);
    const stockPort = inventoryAvailability(countedInventory);
    const unknown = newId();
    const [a, b, c] = await Promise.all([
      catalogPort.getProducts([productAt(40).id]),
      catalogPort.getProducts([productAt(41).id, productAt(40).id]),
      catalogPort.getProducts([unknown]),
    ]);
    expect(a.map((p) => p.id)).toEqual([productAt(40).id]);
    expect(b.map((p) => p.id).sort()).toEqual([productAt(40).id, productAt(41).id].sort());
    expect(c).toEqual([]);
    expect(idCalls).toHaveLength(1);
    expect(new Set(idCalls[0])).toEqual(new Set([productAt(40).id, productAt(41).id, unknown]));

    await stockOf(productAt(40), 6);
    const [x, y] = await Promise.all([stockPort.available([productAt(40).sku]), stockPort.available(["NOPE-000000"])]);
    expect([...x]).toEqual([[productAt(40).sku, 6]]);
    expect([...y]).toEqual([]);
    expect(skuCalls).toHaveLength(1);
    // A later turn asks afresh: nothing is kept.
    await stockOf(productAt(40), 2);
    expect([...(await stockPort.available([productAt(40).sku]))]).toEqual([[productAt(40).sku, 2]]);
    expect(skuCalls).toHaveLength(2);
  });

  it("keeps every user's cart separate", async () => {
    const [alice, bob] = [user(), user()];
    await cart.addItem({ userId: alice, productId: productAt(2).id, quantity: 1n });
    await cart.addItem({ userId: bob, productId: productAt(3).id, quantity: 2n });
    await cart.addItem({ userId: bob, productId: productAt(2).id, quantity: 7n });
    expect(plain((await cart.getCart({ userId: alice })).cart).lines.map((l) => [l.productId, l.quantity])).toEqual([
      [productAt(2).id, 1],
    ]);
    await cart.clearCart({ userId: bob });
    expect(plain((await cart.getCart({ userId: alice })).cart).lines).toHaveLength(1);
    expect(await failure(cart.removeItem({ userId: alice, productId: productAt(3).id }))).toMatchObject({
      status: Code.NotFound,
      code: "CART_LINE_NOT_FOUND",
    });
  });

  it("never lets a line exceed the available stock (on hand − reserved)", async () => {
    const shopper = user();
    const scarce = productAt(4);
    await stockOf(scarce, 3);
    await cart.addItem({ userId: shopper, productId: scarce.id, quantity: 2n });
    expect(await failure(cart.addItem({ userId: shopper, productId: scarce.id, quantity: 2n }))).toMatchObject({
      status: Code.FailedPrecondition,
      code: "CART_INSUFFICIENT_STOCK",
    });
    // The refused add was rolled back: the line still holds 2.
    expect(plain((await cart.getCart({ userId: shopper })).cart).lines[0]?.quantity).toBe(2);
    expect(
      plain((await cart.updateItem({ userId: shopper, productId: scarce.id, quantity: 3n })).cart).lines[0]?.quantity,
    ).toBe(3);

    // Someone else's checkout holds 2 of the 3 units: only 1 is left to sell.
    await inventory.reserveStock({ orderId: newId(), lines: [{ sku: scarce.sku, quantity: 2n }] });
    expect(await failure(cart.updateItem({ userId: shopper, productId: scarce.id, quantity: 2n }))).toMatchObject({
      status: Code.FailedPrecondition,
      code: "CART_INSUFFICIENT_STOCK",
    });
    expect(
      plain((await cart.updateItem({ userId: shopper, productId: scarce.id, quantity: 1n })).cart).lines[0]?.quantity,
    ).toBe(1);

    const untracked = productAt(5);
    await stockOf(untracked, 0);
    expect(await failure(cart.addItem({ userId: shopper, productId: untracked.id, quantity: 1n }))).toMatchObject({
      code: "CART_INSUFFICIENT_STOCK",
    });
  });

  it("refuses an unknown product, a missing line and bad input with stable codes and fields", async () => {
    const shopper = user();
    expect(await failure(cart.addItem({ userId: shopper, productId: newId(), quantity: 1n }))).toMatchObject({
      status: Code.NotFound,
      code: "CART_PRODUCT_NOT_FOUND",
    });
    expect(await failure(cart.addItem({ userId: shopper, productId: "", quantity: 1n }))).toEqual({
      status: Code.InvalidArgument,
      code: "CART_INVALID_PRODUCT_ID",
      fields: [{ field: "product_id", message: "must not be empty" }],
    });
    for (const quantity of [0n, -1n, 100n, 2n ** 63n - 1n]) {
      expect(await failure(cart.addItem({ userId: shopper, productId: productAt(0).id, quantity }))).toEqual({
        status: Code.InvalidArgument,
        code: "CART_INVALID_QUANTITY",
        fields: [{ field: "quantity", message: "must be an integer from 1 to 99" }],
      });
    }
    expect(await failure(cart.getCart({ userId: "" }))).toMatchObject({ code: "CART_INVALID_USER_ID" });
    expect(await failure(cart.updateItem({ userId: shopper, productId: productAt(0).id, quantity: 1n }))).toMatchObject(
      {
        status: Code.NotFound,
        code: "CART_LINE_NOT_FOUND",
      },
    );
    expect(await failure(cart.removeItem({ userId: shopper, productId: productAt(0).id }))).toMatchObject({
      status: Code.NotFound,
      code: "CART_LINE_NOT_FOUND",
    });
    // The summed quantity of a line is capped too, not only each request.
    await cart.addItem({ userId: shopper, productId: productAt(0).id, quantity: 60n });
    expect(await failure(cart.addItem({ userId: shopper, productId: productAt(0).id, quantity: 40n }))).toMatchObject({
      status: Code.FailedPrecondition,
      code: "CART_QUANTITY_LIMIT",
    });
  });

  it("refuses a new line beyond CART_MAX_LINES but still changes existing ones", async () => {
    const shopper = user();
    for (let i = 0; i < 5; i++) await cart.addItem({ userId: shopper, productId: productAt(10 + i).id, quantity: 1n });
    expect(await failure(cart.addItem({ userId: shopper, productId: productAt(15).id, quantity: 1n }))).toMatchObject({
      status: Code.FailedPrecondition,
      code: "CART_TOO_MANY_LINES",
    });
    const after = plain((await cart.addItem({ userId: shopper, productId: productAt(10).id, quantity: 1n })).cart);
    expect(after.lines).toHaveLength(5);
    expect(after.lines[0]).toMatchObject({ productId: productAt(10).id, quantity: 2 });
  });

  // The injected clock drives expiry on PostgreSQL; Redis expires keys by its own clock (below).
  if (storeKind === "postgres") {
    it("forgets a cart not written for CART_TTL_SECONDS; every write extends its life", async () => {
      const shopper = user();
      const product = productAt(6);
      await cart.addItem({ userId: shopper, productId: product.id, quantity: 2n });
      now = new Date(now.getTime() + (TTL_SECONDS - 1) * 1000);
      expect(plain((await cart.getCart({ userId: shopper })).cart).lines).toHaveLength(1);
      // A read does not extend the cart's life; a write does.
      await cart.updateItem({ userId: shopper, productId: product.id, quantity: 3n });
      now = new Date(now.getTime() + (TTL_SECONDS - 1) * 1000);
      expect(plain((await cart.getCart({ userId: shopper })).cart).lines[0]?.quantity).toBe(3);
      now = new Date(now.getTime() + 1000);
      expect(plain((await cart.getCart({ userId: shopper })).cart).lines).toEqual([]);
      expect(await failure(cart.removeItem({ userId: shopper, productId: product.id }))).toMatchObject({
        code: "CART_LINE_NOT_FOUND",
      });
      // A new add starts from an empty cart: the expired 3 units are not summed in.
      const fresh = plain((await cart.addItem({ userId: shopper, productId: product.id, quantity: 1n })).cart);
      expect(fresh.lines.map((l) => l.quantity)).toEqual([1]);
    });

    it("purges the rows of expired carts and only those, directly and from the started sweeper", async () => {
      const [stale, live] = [user(), user()];
      await cart.addItem({ userId: stale, productId: productAt(7).id, quantity: 1n });
      now = new Date(now.getTime() + TTL_SECONDS * 1000);
      await cart.addItem({ userId: live, productId: productAt(7).id, quantity: 1n });
      expect(await cartService.useCases.purgeExpiredCarts()).toBeGreaterThanOrEqual(1);
      expect(await cartService.useCases.purgeExpiredCarts()).toBe(0);
      expect(plain((await cart.getCart({ userId: live })).cart).lines).toHaveLength(1);

      now = new Date(now.getTime() + TTL_SECONDS * 1000);
      await cartService.start(); // the sweeper's first run starts at once; stop() waits for it
      await cartService.stop();
      expect(await cartService.useCases.purgeExpiredCarts()).toBe(0);
    });
  }

  it("drops from the view, and from the total, a line whose product left the catalog", async () => {
    const shopper = user();
    await cart.addItem({ userId: shopper, productId: productAt(17).id, quantity: 2n });
    // A line whose product the catalog no longer has, as if it was deleted after being added.
    const store = directStore();
    await store.addQuantity(shopper, newId(), 1, () => {});
    expect(await store.getItems(shopper)).toHaveLength(2);
    expect(plain((await cart.getCart({ userId: shopper })).cart)).toMatchObject({
      lines: [{ productId: productAt(17).id, quantity: 2 }],
      total: { amountMinor: priceOf(productAt(17)) * 2n },
    });
  });

  it("loses no increment under concurrent adds, and never oversells a line", async () => {
    const shopper = user();
    const plentiful = productAt(8);
    await Promise.all(
      Array.from({ length: 20 }, () => cart.addItem({ userId: shopper, productId: plentiful.id, quantity: 1n })),
    );
    expect(plain((await cart.getCart({ userId: shopper })).cart).lines).toEqual([
      expect.objectContaining({ productId: plentiful.id, quantity: 20, lineMinor: priceOf(plentiful) * 20n }),
    ]);

    const scarce = productAt(9);
    await stockOf(scarce, 5);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => cart.addItem({ userId: shopper, productId: scarce.id, quantity: 1n })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    for (const r of results) {
      if (r.status === "rejected") expect(fromConnectError(r.reason).code).toBe("CART_INSUFFICIENT_STOCK");
    }
    const line = plain((await cart.getCart({ userId: shopper })).cart).lines.find((l) => l.productId === scarce.id);
    expect(line?.quantity).toBe(5);
  });

  it("never passes CART_MAX_LINES or the per-line maximum under concurrent adds", async () => {
    const shopper = user();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        cart.addItem({ userId: shopper, productId: productAt(20 + i).id, quantity: 1n }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    for (const r of results) {
      if (r.status === "rejected") expect(fromConnectError(r.reason).code).toBe("CART_TOO_MANY_LINES");
    }
    expect(plain((await cart.getCart({ userId: shopper })).cart).lines).toHaveLength(5);

    const other = user();
    const product = productAt(28);
    await cart.addItem({ userId: other, productId: product.id, quantity: 60n });
    const adds = await Promise.allSettled(
      Array.from({ length: 3 }, () => cart.addItem({ userId: other, productId: product.id, quantity: 20n })),
    );
    expect(adds.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of adds) {
      if (r.status === "rejected") expect(fromConnectError(r.reason).code).toBe("CART_QUANTITY_LIMIT");
    }
    expect(plain((await cart.getCart({ userId: other })).cart).lines[0]?.quantity).toBe(80);
  });

  it("refuses a product priced in another currency than the cart's", async () => {
    const euroCart = await createCartService({
      database,
      config: { ...loadConfig(CartConfig, {}), CART_CURRENCY: "EUR" },
      logger: testLogger(),
      clock,
      catalog,
      inventory,
    });
    const client = inProcessClient(CartService, euroCart.handlers);
    const shopper = user();
    expect(await failure(client.addItem({ userId: shopper, productId: productAt(0).id, quantity: 1n }))).toMatchObject({
      status: Code.FailedPrecondition,
      code: "CART_CURRENCY_MISMATCH",
    });
    expect(plain((await client.getCart({ userId: shopper })).cart)).toMatchObject({
      lines: [],
      total: { amountMinor: 0n, currency: "EUR" },
    });
  });

  if (storeKind === "redis") {
    /** The remaining life of a key in ms (PTTL: -2 when it does not exist, -1 without expiry). */
    const pttl = (key: string) => requireRedis().pttl(key);

    it("keeps a cart as a hash productId → quantity whose TTL every write refreshes, and no read does", async () => {
      const shopper = user();
      const [a, b] = [productAt(30), productAt(31)];
      await cart.addItem({ userId: shopper, productId: a.id, quantity: 2n });
      await cart.addItem({ userId: shopper, productId: b.id, quantity: 1n });
      await cart.addItem({ userId: shopper, productId: a.id, quantity: 3n });
      const keys = [`cart:{${shopper}}`, `cart:{${shopper}}:lines`];
      expect(await requireRedis().hgetall(keys[0] ?? "")).toEqual({ [a.id]: "5", [b.id]: "1" });
      for (const key of keys) {
        expect(await pttl(key)).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
        expect(await pttl(key)).toBeLessThanOrEqual(TTL_SECONDS * 1000);
        await requireRedis().pexpire(key, 10_000);
      }
      await cart.getCart({ userId: shopper });
      for (const key of keys) expect(await pttl(key)).toBeLessThanOrEqual(10_000);
      await cart.updateItem({ userId: shopper, productId: b.id, quantity: 4n });
      for (const key of keys) expect(await pttl(key)).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
      await cart.removeItem({ userId: shopper, productId: a.id });
      expect(await requireRedis().hgetall(keys[0] ?? "")).toEqual({ [b.id]: "4" });
      await cart.clearCart({ userId: shopper });
      expect(await requireRedis().exists(...keys)).toBe(0);
    });

    it("forgets a cart once Redis expires its keys; the next add starts from an empty cart", async () => {
      const store = directStore(1);
      const shopper = user();
      const product = productAt(32).id;
      await store.addQuantity(shopper, product, 3, () => {});
      expect(await store.getItems(shopper)).toEqual([{ productId: product, quantity: 3, addedAt: now }]);
      const deadline = Date.now() + 5_000;
      while ((await pttl(`cart:{${shopper}}`)) !== -2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await store.getItems(shopper)).toEqual([]);
      expect(await store.removeItem(shopper, product)).toBeUndefined();
      expect(await store.setQuantity(shopper, product, 1, () => {})).toBeUndefined();
      expect((await store.addQuantity(shopper, product, 1, () => {})).map((i) => i.quantity)).toEqual([1]);
      expect(await store.deleteExpired(100)).toBe(0);
    });

    it("rolls nothing forward when the check refuses a write, and keeps lines in the order first added", async () => {
      const store = directStore();
      const shopper = user();
      const refuse = () => {
        throw new Error("refused");
      };
      await store.addQuantity(shopper, "p-2", 1, () => {});
      await store.addQuantity(shopper, "p-1", 1, () => {});
      await expect(store.addQuantity(shopper, "p-3", 1, refuse)).rejects.toThrow("refused");
      await expect(store.addQuantity(shopper, "p-2", 5, refuse)).rejects.toThrow("refused");
      await expect(store.setQuantity(shopper, "p-1", 9, refuse)).rejects.toThrow("refused");
      await store.addQuantity(shopper, "p-0", 2, () => {});
      await store.addQuantity(shopper, "p-2", 1, () => {});
      expect((await store.getItems(shopper)).map((i) => [i.productId, i.quantity])).toEqual([
        ["p-2", 2],
        ["p-1", 1],
        ["p-0", 2],
      ]);
    });

    it("answers UNAVAILABLE with CART_STORE_UNAVAILABLE, never INTERNAL, when Redis is down", async () => {
      const down = openRedis(`redis://127.0.0.1:${await closedPort()}`, testLogger(), { connectTimeoutMs: 200 });
      try {
        const service = await createCartService({
          database,
          redis: down,
          config: loadConfig(CartConfig, {}),
          logger: testLogger(),
          clock,
          catalog,
          inventory,
        });
        const client = inProcessClient(CartService, service.handlers);
        const shopper = user();
        const calls = [
          () => client.getCart({ userId: shopper }),
          () => client.addItem({ userId: shopper, productId: productAt(0).id, quantity: 1n }),
          () => client.updateItem({ userId: shopper, productId: productAt(0).id, quantity: 2n }),
          () => client.removeItem({ userId: shopper, productId: productAt(0).id }),
          () => client.clearCart({ userId: shopper }),
        ];
        for (const call of calls) {
          expect(await failure(call())).toEqual({
            status: Code.Unavailable,
            code: "CART_STORE_UNAVAILABLE",
            fields: [],
          });
        }
      } finally {
        await closeRedis(down);
      }
    });
  }
});
