import type { EventLog } from "@souk/messaging";
import type { AnalyticsService } from "@souk/contracts/analytics";
import type { NotificationsService } from "@souk/contracts/notifications";
import { createAdminAuth } from "./admin.ts";
import { adminAnalyticsRoutes } from "./routes/admin-analytics.routes.ts";
import { adminNotificationsRoutes } from "./routes/admin-notifications.routes.ts";
import { createOrderStatusHub } from "./order-status.hub.ts";
import { orderEventsRoutes } from "./routes/order-events.routes.ts";
import rateLimit from "@fastify/rate-limit";
import type { Static } from "typebox";
import type { Client } from "@connectrpc/connect";
import type { CartService } from "@souk/contracts/cart";
import type { CatalogService } from "@souk/contracts/catalog";
import type { TokensService, UsersService } from "@souk/contracts/identity";
import type { InventoryService } from "@souk/contracts/inventory";
import type { OrdersService } from "@souk/contracts/orders";
import {
  createHttpServer,
  sendProblem,
  SoukError,
  systemClock,
  type HttpServer,
  type Logger,
  type Metrics,
  type Redis,
} from "@souk/platform";
import { bearerChallenge, createBearerAuth } from "./auth.ts";
import { syncedRateLimitStore } from "./rate-limit.store.ts";
import type { GatewayConfig } from "./config.ts";
import { restProblemOf } from "./mapping/problem.mapping.ts";
import { registerOpenApi } from "./openapi.ts";
import { authRoutes } from "./routes/auth.routes.ts";
import { cartRoutes } from "./routes/cart.routes.ts";
import { checkoutRoutes } from "./routes/checkout.routes.ts";
import { orderRoutes } from "./routes/orders.routes.ts";
import { productRoutes } from "./routes/products.routes.ts";
import { validatorCompiler } from "./validator-compiler.ts";

export { GatewayConfig } from "./config.ts";

/** The Connect clients of the services the gateway calls (in-process or over gRPC: same interface). */
export interface GatewayClients {
  readonly users: Client<typeof UsersService>;
  readonly tokens: Client<typeof TokensService>;
  readonly catalog: Client<typeof CatalogService>;
  readonly cart: Client<typeof CartService>;
  readonly inventory: Client<typeof InventoryService>;
  readonly orders: Client<typeof OrdersService>;
  readonly notifications: Client<typeof NotificationsService>;
  readonly analytics: Client<typeof AnalyticsService>;
}

/** What the gateway's composition root needs. */
export interface GatewayDeps {
  readonly config: Static<typeof GatewayConfig>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness for GET /readyz. */
  readonly isReady: () => boolean;
  readonly clients: GatewayClients;
  /**
   * Redis for the rate-limit counters, shared by every gateway replica (distributed topology).
   * Without it each process counts in memory (embedded topology).
   */
  readonly redis?: Redis;
  /** The event log, for live order pushes (`GET /v1/orders/{id}/events`). */
  readonly eventLog: EventLog;
}

/** Prefix of the rate-limit counters' Redis keys. */
const RATE_LIMIT_PREFIX = "souk:gateway:rate-limit:";

/**
 * Composition root of the gateway: the public REST API `/v1` (plus GET /.well-known/jwks.json,
 * GET /openapi.json, /docs, /livez, /readyz, /metrics) on the platform's HTTP server. Routes
 * validate by schema, call one service client and map the answer; every error is
 * `application/problem+json`, 401s carry an RFC 6750 challenge. The caller listens
 * (`app.listen`) and closes (`app.close`) it.
 */
export async function createGateway(deps: GatewayDeps): Promise<{ app: HttpServer }> {
  const logger = deps.logger.child({ service: "gateway" });
  const app = createHttpServer({
    logger,
    metrics: deps.metrics,
    isReady: deps.isReady,
    trustProxy: deps.config.GATEWAY_TRUST_PROXY,
  });
  const { clients, config } = deps;
  const auth = createBearerAuth({
    tokens: clients.tokens,
    issuer: config.GATEWAY_JWT_ISSUER,
    audience: config.GATEWAY_JWT_AUDIENCE,
    clock: systemClock,
    logger,
  });

  const hub = createOrderStatusHub(deps.eventLog, logger);
  // With Redis and a sync interval, requests below half their limit are counted here and added to
  // Redis in batches (`syncedRateLimitStore`); with 0, every request is counted in Redis at once.
  const counters =
    deps.redis === undefined || config.GATEWAY_RATE_LIMIT_SYNC_MS === 0
      ? undefined
      : syncedRateLimitStore({
          redis: deps.redis,
          prefix: RATE_LIMIT_PREFIX,
          syncIntervalMs: config.GATEWAY_RATE_LIMIT_SYNC_MS,
        });
  registerOpenApi(app, config.GATEWAY_PUBLIC_URL);
  await app.register(async (api: HttpServer) => {
    api.setValidatorCompiler(validatorCompiler);
    // JSON only: a text/plain body is 415, not a string that fails validation.
    api.removeContentTypeParser("text/plain");
    api.setErrorHandler((error, request, reply) => {
      const problem = restProblemOf(error, request.log);
      if (problem.status === 401) void reply.header("www-authenticate", bearerChallenge(problem.code));
      return sendProblem(reply, request, problem);
    });
    // Per user (verified token subject) and per client IP, in fixed windows; 429 with Retry-After.
    // A counter store outage lets requests through rather than taking the API down.
    await api.register(rateLimit, {
      global: true,
      timeWindow: config.GATEWAY_RATE_LIMIT_WINDOW_MS,
      max: (_request, key) =>
        key.startsWith("user:") ? config.GATEWAY_RATE_LIMIT_PER_USER : config.GATEWAY_RATE_LIMIT_PER_IP,
      keyGenerator: async (request) => {
        const header = request.headers.authorization;
        if (header?.startsWith("Bearer ") === true) {
          // An invalid token is counted against the IP; the route itself answers 401.
          const user = await auth.verifyAccessToken(header.slice(7)).catch(() => undefined);
          if (user !== undefined) return `user:${user.userId}`;
        }
        return `ip:${request.ip}`;
      },
      ...(counters !== undefined
        ? { store: counters.Store }
        : deps.redis === undefined
          ? {}
          : { redis: deps.redis, nameSpace: RATE_LIMIT_PREFIX }),
      skipOnError: true,
      errorResponseBuilder: (_request, context) =>
        new SoukError(
          "resource_exhausted",
          "RATE_LIMITED",
          `too many requests: at most ${context.max} per ${context.after}`,
        ),
    });
    authRoutes(api, clients);
    productRoutes(api, {
      ...clients,
      productCache: {
        ttlMs: config.GATEWAY_PRODUCT_CACHE_TTL_MS,
        maxEntries: config.GATEWAY_PRODUCT_CACHE_MAX_ENTRIES,
        maxListingProducts: config.GATEWAY_LISTING_CACHE_MAX_PRODUCTS,
      },
      stockCache: {
        ttlMs: config.GATEWAY_STOCK_CACHE_TTL_MS,
        maxEntries: config.GATEWAY_PRODUCT_CACHE_MAX_ENTRIES,
      },
      sharedCacheSeconds: config.GATEWAY_EDGE_CACHE_SECONDS,
    });
    cartRoutes(api, { cart: clients.cart, auth });
    checkoutRoutes(api, { orders: clients.orders, auth, waitMs: config.GATEWAY_CHECKOUT_WAIT_MS });
    orderRoutes(api, { orders: clients.orders, auth });
    orderEventsRoutes(api, { orders: clients.orders, auth, hub });
    const admin = createAdminAuth(config.GATEWAY_ADMIN_TOKEN);
    adminNotificationsRoutes(api, { notifications: clients.notifications, admin });
    adminAnalyticsRoutes(api, { analytics: clients.analytics, admin });
  });
  app.addHook("onReady", () => hub.start());
  app.addHook("preClose", () => hub.stop());
  // After the last request: its counts reach Redis before the caller closes the client.
  if (counters !== undefined) app.addHook("onClose", () => counters.close());
  return { app };
}
