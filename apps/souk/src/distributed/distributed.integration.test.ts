import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Code, ConnectError } from "@connectrpc/connect";
import { InventoryService } from "@souk/contracts/inventory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES, type ServiceName } from "./config.ts";
import { grpcClient, Health, ServingStatus } from "@souk/platform/grpc";
import { TEST_POSTGRES_URL } from "@souk/platform/testing";
import { startService, type RunningService } from "./service.process.ts";

/** The PostgreSQL server `npm run services start` runs (its superuser may create databases). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const LOG_LEVEL = process.env["SOUK_TEST_LOG_LEVEL"] ?? "silent";

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Fails (never skips) with what to do when no PostgreSQL server answers. */
async function requirePostgres(): Promise<void> {
  try {
    await admin("select 1");
  } catch (error) {
    throw new Error(
      `these tests need the PostgreSQL server of \`npm run services start\` at ${TEST_POSTGRES_URL.replace(/\/\/[^@]*@/, "//")} ` +
        `(or set SOUK_TEST_POSTGRES_URL): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

// ---- a stock gRPC client: grpc-js + proto-loader reading proto/, as any other client would ----

const definitions = protoLoader.loadSync(
  [
    "souk/identity/v1/identity.proto",
    "souk/catalog/v1/catalog.proto",
    "souk/cart/v1/cart.proto",
    "souk/inventory/v1/inventory.proto",
    "souk/payments/v1/payments.proto",
    "souk/orders/v1/orders.proto",
    "grpc/health/v1/health.proto",
  ],
  { includeDirs: [`${REPO_ROOT}proto`], longs: String, enums: String, defaults: true },
);

type Json = Record<string, unknown>;

/** One unary call through grpc-js over plaintext HTTP/2, with a 5 s deadline. */
function grpcJsCall(address: string, service: string, method: string, request: Json): Promise<Json> {
  const definition = (definitions[service] as grpc.ServiceDefinition | undefined)?.[method] as
    grpc.MethodDefinition<Json, Json> | undefined;
  if (definition === undefined) throw new Error(`no ${service}/${method} in proto/`);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Json>((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 5_000 },
      (error, response) => (error !== null ? reject(error) : resolve(response ?? {})),
    );
  }).finally(() => client.close());
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

describe("the distributed topology: one process per service over gRPC, real PostgreSQL", () => {
  const suffix = randomUUID().slice(0, 8);
  const databaseOf = (name: ServiceName) => `souk_test_${suffix}_${name}`;
  const running = new Map<string, RunningService>();
  const created: string[] = [];
  let env: Record<string, string> = {};

  const start = (name: ServiceName | "gateway") => startService(name, { env });

  beforeAll(async () => {
    await requirePostgres();
    for (const name of SERVICE_NAMES) {
      await admin(`create database "${databaseOf(name)}"`);
      created.push(databaseOf(name));
    }
    env = {
      LOG_LEVEL,
      GRPC_PORT: "0",
      PORT: "0",
      CATALOG_SEED_COUNT: "40",
      SOUK_SHUTDOWN_TIMEOUT_MS: "4000",
      // The shared Redis holds the per-IP counters of every local client: not under test here.
      GATEWAY_RATE_LIMIT_PER_IP: "1000000",
    };
    for (const name of SERVICE_NAMES) {
      const base = new URL(TEST_POSTGRES_URL);
      base.pathname = `/${databaseOf(name)}`;
      env[`${name.toUpperCase()}_DATABASE_URL`] = base.toString();
    }
    // Upstreams first, so each process is given the ephemeral ports of what it calls.
    for (const name of [
      "identity",
      "catalog",
      "inventory",
      "payments",
      "cart",
      "orders",
      "notifications",
      "analytics",
    ] as const) {
      const service = await start(name);
      running.set(name, service);
      env[`SOUK_${name.toUpperCase()}_GRPC_URL`] = service.url;
    }
    running.set("gateway", await start("gateway"));
  });

  afterAll(async () => {
    for (const service of [...running.values()].reverse()) await service.stop();
    for (const database of created) await admin(`drop database if exists "${database}" with (force)`);
  });

  it("every service answers grpc.health.v1 SERVING on its own port", async () => {
    for (const name of SERVICE_NAMES) {
      const service = running.get(name)!;
      const health = grpcClient(Health, { baseUrl: service.url });
      expect(await health.check({ service: "" }), name).toMatchObject({ status: ServingStatus.SERVING });
    }
  });

  it("answers a stock @grpc/grpc-js client on every service, health check included", async () => {
    const userId = randomUUID();
    const calls: [ServiceName, string, string, Json, (response: Json) => void][] = [
      [
        "identity",
        "souk.identity.v1.TokensService",
        "GetJwks",
        {},
        (r) => expect(String(r["jwksJson"])).toContain('"keys"'),
      ],
      [
        "catalog",
        "souk.catalog.v1.CatalogService",
        "ListCategories",
        {},
        (r) => expect(r["categories"]).not.toHaveLength(0),
      ],
      [
        "cart",
        "souk.cart.v1.CartService",
        "GetCart",
        { userId },
        (r) => expect(r["cart"]).toMatchObject({ lines: [] }),
      ],
      [
        "inventory",
        "souk.inventory.v1.InventoryService",
        "GetAvailability",
        { skus: ["NO-SUCH-SKU"] },
        (r) => expect(r["levels"]).toEqual([]),
      ],
      [
        "payments",
        "souk.payments.v1.PaymentsService",
        "CreatePaymentMethod",
        { userId, card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } },
        (r) => expect(r["paymentMethod"]).toMatchObject({ brand: "visa", last4: "4242" }),
      ],
      ["orders", "souk.orders.v1.OrdersService", "ListOrders", { userId }, (r) => expect(r["orders"]).toEqual([])],
    ];
    for (const [name, service, method, request, check] of calls) {
      const address = new URL(running.get(name)!.url).host;
      check(await grpcJsCall(address, service, method, request));
      expect(await grpcJsCall(address, "grpc.health.v1.Health", "Check", { service: "" }), name).toMatchObject({
        status: "SERVING",
      });
      expect(await grpcJsCall(address, "grpc.health.v1.Health", "Check", { service }), name).toMatchObject({
        status: "SERVING",
      });
    }
    // A SoukError reaches a stock client as its gRPC status, with the stable code in the metadata.
    const error = await grpcJsCall(
      new URL(running.get("orders")!.url).host,
      "souk.orders.v1.OrdersService",
      "GetOrder",
      {
        userId,
        orderId: randomUUID(),
      },
    ).catch((e: unknown) => e as grpc.ServiceError);
    expect(error).toMatchObject({ code: grpc.status.NOT_FOUND });
    expect((error as grpc.ServiceError).metadata.get("souk-error-code")).toEqual(["ORDERS_NOT_FOUND"]);
  });

  it("serves a whole shopping journey through the gateway: register, browse, cart, checkout", async () => {
    const api = running.get("gateway")!.url;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const email = `distributed-${randomUUID()}@example.test`;
    const password = `pw-${randomUUID()}`;
    expect((await post("/v1/auth/register", { email, password, name: "Distributed Shopper" })).status).toBe(201);
    const { accessToken } = await json<{ accessToken: string }>(await post("/v1/auth/login", { email, password }));
    const auth = { authorization: `Bearer ${accessToken}` };

    const page = await json<{ items: { id: string; sku: string; available: number }[] }>(
      await fetch(`${api}/v1/products?limit=20`),
    );
    const product = page.items.find((p) => p.available >= 2);
    expect(product, "the gateway seeded the catalog and its stock").toBeDefined();
    expect((await post("/v1/cart/items", { productId: product!.id, quantity: 2 }, auth)).status).toBe(200);

    const checkout = await post(
      "/v1/checkout",
      {
        payment: { card: { number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123" } },
        shippingAddress: {
          name: "D. Shopper",
          line1: "1 Derb Dabachi",
          city: "Marrakesh",
          postalCode: "40000",
          country: "MA",
        },
      },
      { ...auth, "idempotency-key": randomUUID() },
    );
    expect(checkout.status).toBe(201);
    const { order } = await json<{ order: { id: string; status: string } }>(checkout);
    expect(order.status).toBe("CONFIRMED");

    const inventory = grpcClient(InventoryService, { baseUrl: running.get("inventory")!.url });
    const { levels } = await inventory.getAvailability({ skus: [product!.sku] });
    expect(Number(levels[0]?.available)).toBe(product!.available - 2);
  });

  it("a stopped replica turns NOT_SERVING, drains, and refuses calls", async () => {
    const replica = await start("inventory");
    const health = grpcClient(Health, { baseUrl: replica.url });
    expect(await health.check({ service: "souk.inventory.v1.InventoryService" })).toMatchObject({
      status: ServingStatus.SERVING,
    });
    await replica.stop();
    const error = await health.check({ service: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
  });

  it("`souk start inventory` drains and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import { runStartCommand } from "./apps/souk/src/distributed/start.command.ts"; await runStartCommand(["inventory"]);',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, ...env, LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /"url":"(http:\/\/[^"]+)"[^\n]*"inventory is ready"/.exec(output);
        if (ready?.[1] !== undefined) resolve(ready[1]);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before ready:\n${output}`)));
    });
    const health = grpcClient(Health, { baseUrl: url });
    expect(await health.check({ service: "" })).toMatchObject({ status: ServingStatus.SERVING });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited, output).toBe(0);
    expect(output).toContain("stopped cleanly");
    for (const line of output.split("\n").filter((l) => l.startsWith("{"))) {
      expect(JSON.parse(line), line).toMatchObject({ service: "inventory" });
    }
  });
});
