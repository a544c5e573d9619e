import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type ServiceImpl } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogService } from "@souk/contracts/catalog";
import { InventoryService } from "@souk/contracts/inventory";
import { CatalogConfig, createCatalogService } from "@souk/catalog";
import { createInventoryService, InventoryConfig } from "@souk/inventory";
import { openTestDatabase, testLogger } from "../testing.ts";
import { loadConfig } from "../config.ts";
import { systemClock } from "../clock.ts";
import type { SqlDatabase } from "../database.ts";
import { fromConnectError, unavailable } from "../errors.ts";
import { createMetrics } from "../metrics.ts";
import { grpcClient, grpcUpstream } from "./client.ts";
import { Health, ServingStatus } from "./health.grpc.ts";
import { serveGrpc, type GrpcServer } from "./server.ts";

const PROTO_ROOT = fileURLToPath(new URL("../../../../proto", import.meta.url));
const INVENTORY = "souk.inventory.v1.InventoryService";

// ---- a standard gRPC client (grpc-js + proto-loader, reading the .proto files) ----------------

const definitions = protoLoader.loadSync(
  [
    "souk/inventory/v1/inventory.proto",
    "grpc/health/v1/health.proto",
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
  ],
  { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: true, oneofs: true },
);

type Json = Record<string, unknown>;

function methodOf(service: string, method: string): grpc.MethodDefinition<Json, Json> {
  const definition = definitions[service] as grpc.ServiceDefinition | undefined;
  const found = definition?.[method] as grpc.MethodDefinition<Json, Json> | undefined;
  if (found === undefined) throw new Error(`no ${service}/${method} in the .proto files`);
  return found;
}

/** One unary call through grpc-js, exactly as a generated stub makes it. */
function grpcJsUnary(client: grpc.Client, service: string, method: string, request: Json): Promise<Json> {
  const definition = methodOf(service, method);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 5_000 },
      (error, response) => (error !== null ? reject(error) : resolve(response ?? {})),
    );
  });
}

/** Sends `requests` on one reflection stream (bidi) and collects one response per request. */
async function grpcJsReflect(client: grpc.Client, service: string, requests: Json[]): Promise<Json[]> {
  const definition = methodOf(service, "ServerReflectionInfo");
  const call = client.makeBidiStreamRequest(
    definition.path,
    definition.requestSerialize,
    definition.responseDeserialize,
    new grpc.Metadata(),
    { deadline: Date.now() + 5_000 },
  );
  const responses: Json[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (response: Json) => responses.push(response));
    call.on("error", reject);
    call.on("end", resolve);
  });
  for (const request of requests) call.write(request);
  call.end();
  await done;
  return responses;
}

/** The error `call` rejects with (fails the test when it resolves). */
async function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function grpcJsError(error: unknown): { code: number; soukCode: unknown } {
  const serviceError = error as grpc.ServiceError;
  return { code: serviceError.code, soukCode: serviceError.metadata.get("souk-error-code")[0] };
}

// ---- the tests ---------------------------------------------------------------------------------

describe("gRPC server and client (Connect-ES over HTTP/2)", () => {
  const logger = testLogger();
  const metrics = createMetrics();
  let database: SqlDatabase;
  let server: GrpcServer;
  let ready = true;
  let grpcJs: grpc.Client;

  beforeAll(async () => {
    database = await openTestDatabase();
    const deps = { database, logger, clock: systemClock };
    const inventory = await createInventoryService({
      ...deps,
      config: loadConfig(InventoryConfig, { INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: "60000" }),
    });
    const catalog = await createCatalogService({
      ...deps,
      config: loadConfig(CatalogConfig, {}),
    });
    server = await serveGrpc({
      services: [
        { service: InventoryService, handlers: inventory.handlers },
        { service: CatalogService, handlers: catalog.handlers },
      ],
      port: 0,
      host: "127.0.0.1",
      logger,
      metrics,
      isReady: () => ready,
    });
    grpcJs = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    grpcJs.close();
    await server.close();
    await database.close();
  });

  describe("through grpcClient (Connect-ES gRPC transport)", () => {
    it.each(["grpc", "connect"] as const)(
      "calls a real service and delivers SoukErrors with their code and fields (%s protocol)",
      async (protocol) => {
        const inventory = grpcClient(InventoryService, {
          baseUrl: server.url,
          protocol,
          idempotent: ["getAvailability"],
        });
        await inventory.setStockLevels({ entries: [{ sku: "CONNECT-1", onHand: 2n }] });
        const { levels } = await inventory.getAvailability({ skus: ["CONNECT-1"] });
        expect(levels).toMatchObject([{ sku: "CONNECT-1", onHand: 2n, reserved: 0n, available: 2n }]);

        const short = await inventory
          .reserveStock({ orderId: "connect-short", lines: [{ sku: "CONNECT-1", quantity: 3n }] })
          .catch((error: unknown) => error);
        expect(short).toBeInstanceOf(ConnectError);
        expect((short as ConnectError).code).toBe(Code.FailedPrecondition);
        expect(fromConnectError(short)).toMatchObject({
          kind: "failed_precondition",
          code: "INVENTORY_INSUFFICIENT_STOCK",
        });

        const invalid = fromConnectError(
          await rejectionOf(inventory.reserveStock({ orderId: "connect-invalid", lines: [{ sku: "", quantity: 0n }] })),
        );
        expect(invalid).toMatchObject({ kind: "invalid_argument", code: "INVENTORY_INVALID_LINES" });
        expect(invalid.fields).toEqual([
          { field: "lines[0].sku", message: "must not be empty" },
          { field: "lines[0].quantity", message: "must be a positive integer" },
        ]);
      },
    );

    it("speaks the Connect protocol on the same port too", async () => {
      const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "2" });
      const inventory = createClient(InventoryService, transport);
      const { levels } = await inventory.getAvailability({ skus: ["CONNECT-1"] });
      expect(levels).toMatchObject([{ sku: "CONNECT-1", available: 2n }]);
    });

    it("streams health changes to a Watch", async () => {
      const health = grpcClient(Health, { baseUrl: server.url });
      const abort = new AbortController();
      const seen: ServingStatus[] = [];
      try {
        for await (const { status } of health.watch({ service: INVENTORY }, { signal: abort.signal })) {
          seen.push(status);
          if (seen.length === 1) ready = false;
          else break;
        }
      } finally {
        ready = true;
        abort.abort();
      }
      expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    });

    it("records RED metrics per method and outcome", async () => {
      const text = await metrics.registry.metrics();
      expect(text).toContain(`souk_rpc_calls_total{service="${INVENTORY}",method="GetAvailability",code="ok"}`);
      expect(text).toContain(
        `souk_rpc_calls_total{service="${INVENTORY}",method="ReserveStock",code="FailedPrecondition"}`,
      );
    });
  });

  describe("through grpc-js with the .proto files (a standard gRPC client)", () => {
    it("calls every method of InventoryService", async () => {
      const call = (method: string, request: Json) => grpcJsUnary(grpcJs, INVENTORY, method, request);
      expect(await call("SetStockLevels", { entries: [{ sku: "GRPCJS-1", onHand: "10" }] })).toEqual({});
      expect(await call("GetAvailability", { skus: ["GRPCJS-1"] })).toEqual({
        levels: [{ sku: "GRPCJS-1", onHand: "10", reserved: "0", available: "10" }],
      });

      const held = await call("ReserveStock", {
        orderId: "grpcjs-order-1",
        lines: [{ sku: "GRPCJS-1", quantity: "4" }],
        ttlMs: "60000",
      });
      expect(held).toMatchObject({ reservation: { orderId: "grpcjs-order-1", status: "RESERVATION_STATUS_HELD" } });
      const committed = await call("CommitReservation", { orderId: "grpcjs-order-1" });
      expect(committed).toMatchObject({ reservation: { status: "RESERVATION_STATUS_COMMITTED" } });
      expect(await call("GetAvailability", { skus: ["GRPCJS-1"] })).toMatchObject({
        levels: [{ onHand: "6", reserved: "0" }],
      });
      expect(await call("RestockReservation", { orderId: "grpcjs-order-1" })).toEqual({});

      await call("ReserveStock", { orderId: "grpcjs-order-2", lines: [{ sku: "GRPCJS-1", quantity: "1" }] });
      expect(await call("ReleaseReservation", { orderId: "grpcjs-order-2" })).toEqual({});
      expect(await call("GetAvailability", { skus: ["GRPCJS-1"] })).toMatchObject({
        levels: [{ onHand: "10", reserved: "0", available: "10" }],
      });

      const error = await call("CommitReservation", { orderId: "no-such-order" }).catch(grpcJsError);
      expect(error).toEqual({ code: grpc.status.NOT_FOUND, soukCode: "INVENTORY_RESERVATION_NOT_FOUND" });
    });

    it("answers grpc.health.v1.Health/Check: SERVING while ready, NOT_SERVING when not, NOT_FOUND when unknown", async () => {
      const check = (service: string) => grpcJsUnary(grpcJs, "grpc.health.v1.Health", "Check", { service });
      expect(await check("")).toEqual({ status: "SERVING" });
      expect(await check(INVENTORY)).toEqual({ status: "SERVING" });
      expect(await check("souk.catalog.v1.CatalogService")).toEqual({ status: "SERVING" });
      ready = false;
      try {
        expect(await check(INVENTORY)).toEqual({ status: "NOT_SERVING" });
      } finally {
        ready = true;
      }
      expect(await check("no.such.Service").catch(grpcJsError)).toMatchObject({ code: grpc.status.NOT_FOUND });
    });

    it.each(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])(
      "answers %s: list services, file containing symbol, file by name",
      async (reflection) => {
        const [listed, bySymbol, byMethod, byName, unknown] = await grpcJsReflect(grpcJs, reflection, [
          { listServices: "" },
          { fileContainingSymbol: INVENTORY },
          { fileContainingSymbol: "souk.catalog.v1.CatalogService.ListProducts" },
          { fileByFilename: "souk/catalog/v1/catalog.proto" },
          { fileContainingSymbol: "no.such.Symbol" },
        ]);
        const names = (listed?.["listServicesResponse"] as { service: { name: string }[] }).service.map((s) => s.name);
        expect(names).toEqual(
          expect.arrayContaining([INVENTORY, "souk.catalog.v1.CatalogService", "grpc.health.v1.Health", reflection]),
        );

        const files = (response: Json | undefined) =>
          (response?.["fileDescriptorResponse"] as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map(
            (bytes) => fromBinary(FileDescriptorProtoSchema, bytes),
          );
        const [inventoryFile] = files(bySymbol);
        expect(inventoryFile?.name).toBe("souk/inventory/v1/inventory.proto");
        expect(inventoryFile?.service.map((s) => s.name)).toEqual(["InventoryService"]);
        expect(inventoryFile?.service[0]?.method.map((m) => m.name)).toContain("ReserveStock");
        expect(files(byMethod).map((f) => f.name)).toEqual([
          "souk/catalog/v1/catalog.proto",
          "souk/common/v1/money.proto",
        ]);
        expect(files(byName).map((f) => f.name)).toEqual([
          "souk/catalog/v1/catalog.proto",
          "souk/common/v1/money.proto",
        ]);
        expect(unknown?.["errorResponse"]).toMatchObject({ errorCode: grpc.status.NOT_FOUND });
      },
    );
  });
});

/** An InventoryService that counts calls per method and fails or stalls on demand. */
function scriptedInventory() {
  const calls = new Map<string, number>();
  let unavailableLeft = 0;
  const count = (method: string): void => {
    calls.set(method, (calls.get(method) ?? 0) + 1);
  };
  const maybeFail = (): void => {
    if (unavailableLeft > 0) {
      unavailableLeft -= 1;
      throw unavailable("TEST_UNAVAILABLE", "scripted outage");
    }
  };
  const handlers: ServiceImpl<typeof InventoryService> = {
    async getAvailability(request) {
      count("getAvailability");
      maybeFail();
      return { levels: request.skus.map((sku) => ({ sku, onHand: 1n, reserved: 0n, available: 1n })) };
    },
    async setStockLevels(_request, context) {
      count("setStockLevels");
      await delay(1_000, undefined, { signal: context.signal }).catch(() => undefined);
      return {};
    },
    async reserveStock() {
      count("reserveStock");
      maybeFail();
      return {};
    },
    async commitReservation() {
      count("commitReservation");
      return {};
    },
    async releaseReservation() {
      count("releaseReservation");
      return {};
    },
    async restockReservation() {
      count("restockReservation");
      return {};
    },
  };
  return {
    handlers,
    calls: (method: string) => calls.get(method) ?? 0,
    failNext(n: number) {
      unavailableLeft = n;
    },
  };
}

describe.each(["grpc", "connect"] as const)(
  "client resilience (%s protocol): deadlines, retries of idempotent calls only, circuit breaker",
  (protocol) => {
    const logger = testLogger();
    const scripted = scriptedInventory();
    let server: GrpcServer;
    const serve = (port: number) =>
      serveGrpc({
        services: [{ service: InventoryService, handlers: scripted.handlers }],
        port,
        host: "127.0.0.1",
        logger,
        metrics: createMetrics(),
        isReady: () => true,
        drainTimeoutMs: 2_000,
      });

    beforeAll(async () => {
      server = await serve(0);
    });
    afterAll(async () => {
      await server.close();
    });

    it("ends a slow call at its deadline with DEADLINE_EXCEEDED", async () => {
      const inventory = grpcClient(InventoryService, { baseUrl: server.url, protocol, timeoutMs: 150 });
      const started = performance.now();
      const error = await inventory.setStockLevels({}).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: Code.DeadlineExceeded });
      expect(performance.now() - started).toBeLessThan(800);
      expect(fromConnectError(error).kind).toBe("deadline_exceeded");
    });

    it("retries only the methods declared idempotent, at most 3 attempts", async () => {
      const upstream = grpcUpstream(server.url, { protocol, failuresToOpen: 100 });
      const inventory = grpcClient(InventoryService, { upstream, idempotent: ["getAvailability"] });

      scripted.failNext(2);
      const before = scripted.calls("getAvailability");
      const { levels } = await inventory.getAvailability({ skus: ["X"] });
      expect(levels).toHaveLength(1);
      expect(scripted.calls("getAvailability") - before).toBe(3);

      scripted.failNext(5);
      const again = scripted.calls("getAvailability");
      const exhausted = await inventory.getAvailability({ skus: ["X"] }).catch((e: unknown) => fromConnectError(e));
      expect(exhausted).toMatchObject({ kind: "unavailable", code: "TEST_UNAVAILABLE" });
      expect(scripted.calls("getAvailability") - again).toBe(3);

      scripted.failNext(1);
      const reserves = scripted.calls("reserveStock");
      const once = await inventory.reserveStock({ orderId: "o" }).catch((e: unknown) => fromConnectError(e));
      expect(once).toMatchObject({ kind: "unavailable", code: "TEST_UNAVAILABLE" });
      expect(scripted.calls("reserveStock") - reserves).toBe(1);
      scripted.failNext(0);
      upstream.close();
    });

    it("rejects an idempotent method name the service does not have", () => {
      expect(() =>
        grpcClient(InventoryService, { baseUrl: server.url, idempotent: ["getAvailabilty" as "getAvailability"] }),
      ).toThrow(/no method "getAvailabilty"/);
    });

    it("lets calls in flight finish on close, then refuses new ones", async () => {
      const own = await serve(0);
      const inventory = grpcClient(InventoryService, { baseUrl: own.url, protocol, timeoutMs: 5_000 });
      await inventory.commitReservation({ orderId: "warm-up" });
      const slow = inventory.setStockLevels({});
      await delay(100);
      const started = performance.now();
      await own.close();
      await expect(slow).resolves.toBeDefined();
      expect(performance.now() - started).toBeGreaterThan(500);
      await expect(inventory.commitReservation({ orderId: "after" })).rejects.toMatchObject({ code: Code.Unavailable });
    });

    it("fails fast while the upstream is down and recovers by itself when it is back", async () => {
      const port = server.port;
      const upstream = grpcUpstream(server.url, { protocol, failuresToOpen: 3, halfOpenAfterMs: 1_000 });
      const inventory = grpcClient(InventoryService, { upstream, idempotent: ["getAvailability"] });
      await inventory.getAvailability({ skus: ["X"] });

      await server.close();
      for (let i = 0; i < 10; i += 1) {
        const started = performance.now();
        const error = await inventory.getAvailability({ skus: ["X"] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConnectError);
        expect((error as ConnectError).code).toBe(Code.Unavailable);
        expect(fromConnectError(error).kind).toBe("unavailable");
        expect(performance.now() - started).toBeLessThan(1_000);
      }
      const open = await rejectionOf(inventory.getAvailability({ skus: ["X"] }));
      expect((open as ConnectError).rawMessage).toMatch(/circuit open/);

      server = await serve(port);
      const recoveredAfter = performance.now();
      let recovered = false;
      while (!recovered && performance.now() - recoveredAfter < 5_000) {
        recovered = await inventory.getAvailability({ skus: ["X"] }).then(
          () => true,
          () => false,
        );
        if (!recovered) await delay(100);
      }
      expect(recovered).toBe(true);
      await expect(inventory.getAvailability({ skus: ["Y"] })).resolves.toMatchObject({ levels: [{ sku: "Y" }] });
      upstream.close();
    });
  },
);
