import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyticsService } from "@souk/contracts/analytics";
import { createInProcessEventLog, TOPIC_SPECS } from "@souk/messaging";
import {
  createHttpServer,
  createMetrics,
  inProcessClient,
  loadConfig,
  sendProblem,
  type HttpServer,
  type SqlDatabase,
} from "@souk/platform";
import { openTestDatabase, testLogger, waitFor } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { AnalyticsConfig, createAnalyticsService } from "../../../analytics/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- the realistic stream analytics' own tests use
import { orderStream } from "../../../analytics/src/testing/order-stream.ts";
import { createAdminAuth } from "../admin.ts";
import { restProblemOf } from "../mapping/problem.mapping.ts";
import { validatorCompiler } from "../validator-compiler.ts";
import { adminAnalyticsRoutes } from "./admin-analytics.routes.ts";

const TOKEN = "admin-token-for-tests";
const auth = { authorization: `Bearer ${TOKEN}` };
const eur = (amount: number) => ({ amount, currency: "EUR" });
const usd = (amount: number) => ({ amount, currency: "USD" });

/** An app with only the admin analytics routes, set up as the gateway sets up its API scope. */
async function adminApp(token: string, analytics: Parameters<typeof adminAnalyticsRoutes>[1]["analytics"]) {
  const app = createHttpServer({ logger: testLogger(), metrics: createMetrics(), isReady: () => true });
  await app.register(async (api: HttpServer) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setErrorHandler((error, request, reply) => sendProblem(reply, request, restProblemOf(error, request.log)));
    adminAnalyticsRoutes(api, { analytics, admin: createAdminAuth(token) });
  });
  await app.ready();
  return app;
}

describe("admin analytics routes over the real analytics service (PGlite, in-process event log)", () => {
  let database: SqlDatabase;
  let app: HttpServer;
  let disabled: HttpServer;
  let stop: () => Promise<void>;
  const get = (url: string) => app.inject({ method: "GET", url, headers: auth });

  beforeAll(async () => {
    database = await openTestDatabase();
    const eventLog = createInProcessEventLog();
    await eventLog.ensureTopics(TOPIC_SPECS);
    let now = new Date("2026-01-01T09:00:00Z");
    const analytics = await createAnalyticsService({
      database,
      config: loadConfig(AnalyticsConfig, {}),
      logger: testLogger(),
      clock: () => now,
      eventLog,
      metrics: createMetrics(),
    });
    now = new Date("2026-01-01T10:30:00Z");
    await analytics.start();
    for (const { topic, event } of orderStream()) await eventLog.publish(topic, [event]);
    const client = inProcessClient(AnalyticsService, analytics.handlers);
    await waitFor(async () => (await client.getSummary({})).eventsProcessed === 23n, {
      timeoutMs: 30_000,
      message: "the stream to be consumed",
    });
    app = await adminApp(TOKEN, client);
    disabled = await adminApp("", client);
    stop = async () => {
      await app.close();
      await disabled.close();
      await analytics.stop();
      await eventLog.close();
    };
  });
  afterAll(async () => {
    await stop?.();
    await database?.close();
  });

  it("needs the admin token; without one configured the admin API is off", async () => {
    const anonymous = await app.inject({ method: "GET", url: "/v1/admin/analytics/summary" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(anonymous.json()).toMatchObject({ code: "ADMIN_UNAUTHENTICATED" });
    const rebuild = await app.inject({ method: "POST", url: "/v1/admin/analytics/rebuild" });
    expect(rebuild.statusCode).toBe(401);
    const off = await disabled.inject({ method: "GET", url: "/v1/admin/analytics/event-lag", headers: auth });
    expect(off.statusCode).toBe(403);
    expect(off.json()).toMatchObject({ code: "ADMIN_DISABLED" });
  });

  it("GET /v1/admin/analytics/summary: totals per currency, over all time or a window", async () => {
    const all = await get("/v1/admin/analytics/summary");
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      eventsProcessed: 23,
      consumerGroup: "analytics",
      currencies: [
        {
          currency: "EUR",
          ordersPlaced: 4,
          ordersConfirmed: 2,
          ordersCancelled: 1,
          ordersRefunded: 1,
          revenue: eur(5_500),
          refunds: eur(3_000),
          netRevenue: eur(2_500),
          conversion: 2 / 3,
          payments: [
            { kind: "authorized", count: 2, amount: eur(5_500) },
            { kind: "captured", count: 2, amount: eur(5_500) },
            { kind: "refunded", count: 1, amount: eur(3_000) },
            { kind: "failed", count: 1, amount: eur(1_000) },
          ],
        },
        {
          currency: "USD",
          ordersPlaced: 3,
          ordersConfirmed: 1,
          ordersCancelled: 2,
          ordersRefunded: 0,
          revenue: usd(4_000),
          refunds: usd(0),
          netRevenue: usd(4_000),
          conversion: 1 / 3,
          payments: [
            { kind: "authorized", count: 1, amount: usd(4_000) },
            { kind: "captured", count: 1, amount: usd(4_000) },
            { kind: "failed", count: 1, amount: usd(1_500) },
          ],
        },
      ],
    });
    // Offsets are honoured: 12:00+02:00 is 10:00Z; [10:00, 10:01) holds o1's placement and confirmation.
    const window = await get("/v1/admin/analytics/summary?from=2026-01-01T12:00:00%2B02:00&to=2026-01-01T10:01:00Z");
    expect(window.statusCode).toBe(200);
    expect(window.json<{ currencies: unknown[] }>().currencies).toEqual([
      expect.objectContaining({
        currency: "EUR",
        ordersPlaced: 1,
        ordersConfirmed: 1,
        revenue: eur(2_500),
        conversion: 1,
      }),
    ]);
  });

  it("GET /v1/admin/analytics/timeseries: every minute of the window", async () => {
    const response = await get(
      "/v1/admin/analytics/timeseries?from=2026-01-01T10:00:00Z&to=2026-01-01T10:05:00Z&currency=USD",
    );
    expect(response.statusCode).toBe(200);
    const { buckets } = response.json<{ buckets: { minute: string; ordersPlaced: number; revenue: unknown }[] }>();
    expect(buckets.map((b) => [b.minute, b.ordersPlaced])).toEqual([
      ["2026-01-01T10:00:00.000Z", 0],
      ["2026-01-01T10:01:00.000Z", 1],
      ["2026-01-01T10:02:00.000Z", 1],
      ["2026-01-01T10:03:00.000Z", 0],
      ["2026-01-01T10:04:00.000Z", 1],
    ]);
    expect(buckets[2]).toEqual({
      minute: "2026-01-01T10:02:00.000Z",
      currency: "USD",
      ordersPlaced: 1,
      ordersConfirmed: 1,
      ordersCancelled: 0,
      ordersRefunded: 0,
      revenue: usd(4_000),
      refunds: usd(0),
    });
    // Default: the 60 minutes before now (10:30), both currencies.
    const recent = await get("/v1/admin/analytics/timeseries");
    expect(recent.json<{ buckets: unknown[] }>().buckets).toHaveLength(60 * 2);
  });

  it("GET /v1/admin/analytics/top-products and /cancellation-reasons", async () => {
    const byUnits = await get("/v1/admin/analytics/top-products?limit=2");
    expect(byUnits.statusCode).toBe(200);
    expect(byUnits.json()).toEqual({
      items: [
        { productId: "p-tea", sku: "TEA-1", name: "Tea", units: 7, revenue: eur(3_500) },
        { productId: "p-mug", sku: "MUG-1", name: "Mug", units: 4, revenue: usd(4_000) },
      ],
    });
    const byRevenue = await get("/v1/admin/analytics/top-products?by=revenue&currency=EUR");
    expect(byRevenue.json<{ items: { productId: string }[] }>().items.map((p) => p.productId)).toEqual([
      "p-tea",
      "p-mug",
    ]);
    const reasons = await get("/v1/admin/analytics/cancellation-reasons");
    expect(reasons.json()).toEqual({
      items: [
        { reason: "card_declined", count: 2 },
        { reason: "insufficient_stock", count: 1 },
      ],
    });
  });

  it("GET /v1/admin/analytics/event-lag: order confirmed → analytics updated", async () => {
    const response = await get("/v1/admin/analytics/event-lag?last=1000");
    expect(response.statusCode).toBe(200);
    // All applied at 10:30:00: o1 confirmed 10:00:50, o3 10:02:10, o5 10:03:40.
    const lag = response.json<{ count: number; p50Ms: number; p99Ms: number; maxMs: number }>();
    expect(lag).toMatchObject({ count: 3, p50Ms: 1_670_000, maxMs: 1_750_000 });
    expect(lag.p99Ms).toBeCloseTo(1_748_400, 6);
  });

  it("answers problem+json naming the bad query parameter", async () => {
    const cases: [url: string, code: string, field: string | undefined][] = [
      ["/v1/admin/analytics/summary?from=yesterday", "VALIDATION_FAILED", "querystring.from"],
      ["/v1/admin/analytics/summary?to=2026-13-01T00:00:00Z", "VALIDATION_FAILED", "querystring.to"],
      ["/v1/admin/analytics/summary?since=2026-01-01T00:00:00Z", "VALIDATION_FAILED", "querystring.since"],
      ["/v1/admin/analytics/top-products?limit=0", "VALIDATION_FAILED", "querystring.limit"],
      ["/v1/admin/analytics/top-products?limit=101", "VALIDATION_FAILED", "querystring.limit"],
      ["/v1/admin/analytics/top-products?limit=ten", "VALIDATION_FAILED", "querystring.limit"],
      ["/v1/admin/analytics/top-products?by=margin", "VALIDATION_FAILED", "querystring.by"],
      ["/v1/admin/analytics/top-products?by=revenue", "ANALYTICS_CURRENCY_REQUIRED", "currency"],
      ["/v1/admin/analytics/timeseries?currency=eur", "VALIDATION_FAILED", "querystring.currency"],
      ["/v1/admin/analytics/event-lag?last=100001", "VALIDATION_FAILED", "querystring.last"],
      [
        "/v1/admin/analytics/summary?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "ANALYTICS_INVALID_RANGE",
        "from",
      ],
      [
        "/v1/admin/analytics/timeseries?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:01Z",
        "ANALYTICS_INVALID_RANGE",
        "from",
      ],
    ];
    for (const [url, code, field] of cases) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.headers["content-type"], url).toMatch(/^application\/problem\+json/);
      const problem = response.json<{ code: string; errors?: { field: string }[] }>();
      expect(problem.code, url).toBe(code);
      expect(
        problem.errors?.map((e) => e.field),
        url,
      ).toContain(field);
    }
  });

  it("POST /v1/admin/analytics/rebuild replays into identical aggregates", async () => {
    const before = (await get("/v1/admin/analytics/summary")).json<{ currencies: unknown }>();
    const response = await app.inject({ method: "POST", url: "/v1/admin/analytics/rebuild", headers: auth });
    expect(response.statusCode).toBe(202);
    const rebuilt = response.json<{ consumerGroup: string; startedAt: string }>();
    expect(rebuilt).toEqual({
      consumerGroup: `analytics-rebuild-${Date.parse("2026-01-01T10:30:00Z")}`,
      startedAt: "2026-01-01T10:30:00.000Z",
    });
    await waitFor(
      async () => (await get("/v1/admin/analytics/summary")).json<{ eventsProcessed: number }>().eventsProcessed === 23,
      { timeoutMs: 30_000, message: "the replay" },
    );
    const after = (await get("/v1/admin/analytics/summary")).json<{ currencies: unknown; consumerGroup: string }>();
    expect(after.currencies).toEqual(before.currencies);
    expect(after.consumerGroup).toBe(rebuilt.consumerGroup);
  });
});
