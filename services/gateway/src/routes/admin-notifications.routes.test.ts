import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotificationsService } from "@souk/contracts/notifications";
import { UsersService } from "@souk/contracts/identity";
import { createInProcessEventLog, createInProcessJobQueue, TOPIC_SPECS } from "@souk/messaging";
import {
  createHttpServer,
  createMetrics,
  inProcessClient,
  loadConfig,
  sendProblem,
  systemClock,
  type HttpServer,
  type SqlDatabase,
} from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createIdentityService, IdentityConfig } from "../../../identity/src/index.ts";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createNotificationsService, NotificationsConfig } from "../../../notifications/src/index.ts";
import { createAdminAuth } from "../admin.ts";
import { restProblemOf } from "../mapping/problem.mapping.ts";
import { validatorCompiler } from "../validator-compiler.ts";
import { adminNotificationsRoutes } from "./admin-notifications.routes.ts";

const TOKEN = "admin-token-for-tests";
const auth = { authorization: `Bearer ${TOKEN}` };

/** An app with only the admin notifications routes, set up as the gateway sets up its API scope. */
async function adminApp(token: string, notifications: Parameters<typeof adminNotificationsRoutes>[1]["notifications"]) {
  const app = createHttpServer({ logger: testLogger(), metrics: createMetrics(), isReady: () => true });
  await app.register(async (api: HttpServer) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setErrorHandler((error, request, reply) => sendProblem(reply, request, restProblemOf(error, request.log)));
    adminNotificationsRoutes(api, { notifications, admin: createAdminAuth(token) });
  });
  await app.ready();
  return app;
}

describe("admin notifications routes over the real notifications service (PGlite)", () => {
  let database: SqlDatabase;
  let app: HttpServer;
  let disabled: HttpServer;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    database = await openTestDatabase();
    const logger = testLogger();
    const eventLog = createInProcessEventLog();
    const jobQueue = createInProcessJobQueue();
    await eventLog.ensureTopics(TOPIC_SPECS);
    const identity = await createIdentityService({
      database,
      config: loadConfig(IdentityConfig, {}),
      logger,
      clock: systemClock,
      eventLog,
    });
    const notifications = await createNotificationsService({
      database,
      config: loadConfig(NotificationsConfig, {}),
      logger,
      clock: systemClock,
      eventLog,
      jobQueue,
      users: inProcessClient(UsersService, identity.users),
    });
    const client = inProcessClient(NotificationsService, notifications.handlers);
    app = await adminApp(TOKEN, client);
    disabled = await adminApp("", client);
    stop = async () => {
      await app.close();
      await disabled.close();
      await notifications.stop();
      await eventLog.close();
      await jobQueue.close();
    };
  });
  afterAll(async () => {
    await stop?.();
    await database?.close();
  });

  it("needs the admin token; without one configured the admin API is off", async () => {
    const anonymous = await app.inject({ method: "GET", url: "/v1/admin/webhook-endpoints" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: "ADMIN_UNAUTHENTICATED" });
    const wrong = await app.inject({
      method: "GET",
      url: "/v1/admin/dead-letters",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.statusCode).toBe(401);
    const off = await disabled.inject({ method: "GET", url: "/v1/admin/webhook-endpoints", headers: auth });
    expect(off.statusCode).toBe(403);
    expect(off.json()).toMatchObject({ code: "ADMIN_DISABLED" });
  });

  it("registers an endpoint (secret shown once), lists it without secret, deletes it", async () => {
    const created = await app.inject({
      method: "POST",
      url: "/v1/admin/webhook-endpoints",
      headers: auth,
      payload: { url: "https://hooks.example.com/souk", eventTypes: ["order.confirmed", "order.refunded"] },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ endpoint: { id: string }; secret: string }>();
    expect(body).toEqual({
      endpoint: {
        id: expect.any(String) as unknown,
        url: "https://hooks.example.com/souk",
        eventTypes: ["order.confirmed", "order.refunded"],
        active: true,
        createdAt: expect.any(String) as unknown,
      },
      secret: expect.stringMatching(/^whsec_/) as unknown,
    });
    expect(created.headers.location).toBe(`/v1/admin/webhook-endpoints/${body.endpoint.id}`);

    const listed = await app.inject({ method: "GET", url: "/v1/admin/webhook-endpoints", headers: auth });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ items: [created.json<{ endpoint: unknown }>().endpoint] });
    expect(listed.body).not.toContain("whsec_");

    const deleted = await app.inject({
      method: "DELETE",
      url: `/v1/admin/webhook-endpoints/${body.endpoint.id}`,
      headers: auth,
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ endpoint: { id: body.endpoint.id, active: false } });
    const missing = await app.inject({ method: "DELETE", url: "/v1/admin/webhook-endpoints/nope", headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "NOTIFICATIONS_WEBHOOK_ENDPOINT_NOT_FOUND" });
  });

  it("answers 400 naming the REST fields of an invalid endpoint", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/v1/admin/webhook-endpoints",
      headers: auth,
      payload: { url: "ftp://example.com/x", eventTypes: ["order.shipped"] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: "NOTIFICATIONS_INVALID_WEBHOOK_ENDPOINT",
      errors: [
        { field: "url", message: "must be an http or https URL" },
        { field: "eventTypes[0]", message: 'unknown event type "order.shipped"' },
      ],
    });
    const schemaError = await app.inject({
      method: "POST",
      url: "/v1/admin/webhook-endpoints",
      headers: auth,
      payload: { url: "https://example.com", eventTypes: [] },
    });
    expect(schemaError.statusCode).toBe(400);
  });

  it("lists dead letters and deliveries; replaying an unknown dead letter is 404", async () => {
    const page = await app.inject({ method: "GET", url: "/v1/admin/dead-letters?limit=10", headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toEqual({ items: [], nextCursor: null });
    const badCursor = await app.inject({ method: "GET", url: "/v1/admin/dead-letters?cursor=nope", headers: auth });
    expect(badCursor.statusCode).toBe(400);
    const replay = await app.inject({ method: "POST", url: "/v1/admin/dead-letters/nope/replay", headers: auth });
    expect(replay.statusCode).toBe(404);
    expect(replay.json()).toMatchObject({ code: "NOTIFICATIONS_DEAD_LETTER_NOT_FOUND" });
    const deliveries = await app.inject({ method: "GET", url: "/v1/admin/orders/o-1/deliveries", headers: auth });
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.json()).toEqual({ items: [] });
  });
});
