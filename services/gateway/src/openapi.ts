import Fastify, {
  type FastifyInstance,
  type InjectOptions,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from "fastify";
import type { FastifyDynamicSwaggerOptions } from "@fastify/swagger";
import type { HttpServer } from "@souk/platform";

/** The document's fixed parts; `servers` is added per gateway (its public URL). */
const OPENAPI: NonNullable<FastifyDynamicSwaggerOptions["openapi"]> = {
  openapi: "3.1.0",
  info: {
    title: "Souk API",
    version: "1.0.0",
    description:
      "The public REST API of the Souk store. Errors are RFC 9457 `application/problem+json` with a " +
      "stable `code`. Money is `{ amount, currency }` with `amount` in integer minor units.",
  },
  tags: [
    { name: "auth", description: "Accounts and tokens" },
    { name: "catalog", description: "Products and categories (public)" },
    { name: "cart", description: "The caller's cart" },
    { name: "checkout", description: "Placing and paying for an order" },
    { name: "orders", description: "The caller's orders, and their live status (Server-Sent Events)" },
    {
      name: "admin",
      description:
        "Operators only (`Authorization: Bearer <GATEWAY_ADMIN_TOKEN>`): analytics, webhook endpoints, dead letters",
    },
  ],
  components: {
    securitySchemes: {
      bearerAuth: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "The accessToken from POST /v1/auth/login",
      },
    },
  },
};

/** Response headers of the documentation app that the gateway's own reply sets (or must not copy). */
const HOP_HEADERS = new Set(["content-length", "connection", "keep-alive", "transfer-encoding", "date"]);

/** What `registerOpenApi` keeps of a route to describe it later. */
type RecordedRoute = Pick<RouteOptions, "method" | "url" | "schema" | "config">;

/**
 * Registers the OpenAPI 3.1 document, generated from the route schemas of every route added
 * after this call (tags, operationIds, bearer security, problem+json errors), served at
 * GET /openapi.json, and Swagger UI at /docs with its assets served from the package (works offline).
 *
 * The documentation machinery (@fastify/swagger, Swagger UI with @fastify/static, the `yaml`
 * package: ~130 modules, ~3.5 MiB of an idle gateway's RSS) loads on the first request for it,
 * not at start: the gateway records each route's method, URL and schema as it is added, and the
 * first request to /openapi.json or /docs builds a separate Fastify app that registers both
 * plugins and those routes (their handlers never run there), then answers through it
 * (`inject`). Most gateway processes never serve their docs. A failed build is retried on the
 * next request; until then the request gets the gateway's 500 problem.
 */
export function registerOpenApi(app: HttpServer, publicUrl: string): void {
  const routes: RecordedRoute[] = [];
  let docsApp: Promise<FastifyInstance> | undefined;
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    docsApp ??= buildDocsApp(routes, publicUrl).catch((error: unknown) => {
      docsApp = undefined;
      throw error;
    });
    const answer = await (
      await docsApp
    ).inject({
      method: request.method as InjectOptions["method"],
      url: request.url,
      headers: request.headers,
    });
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) void reply.header(name, value);
    }
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  const hidden = { schema: { hide: true } };
  app.get("/openapi.json", hidden, forward);
  app.get("/docs", hidden, forward);
  app.get("/docs/*", hidden, forward);
  // Added after the three above, so only the routes the document describes are recorded.
  app.addHook("onRoute", (route) => {
    // Fastify adds a HEAD route beside each GET; the documentation app makes its own.
    if (route.method === "HEAD") return;
    routes.push({ method: route.method, url: route.url, schema: route.schema, config: route.config });
  });
}

/**
 * The documentation app: @fastify/swagger and Swagger UI (at /docs) over `routes`, plus
 * GET /openapi.json. Route schemas are neither compiled for validation nor for serialization
 * there: only the document is made of them.
 */
async function buildDocsApp(routes: readonly RecordedRoute[], publicUrl: string): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([
    import("@fastify/swagger"),
    import("@fastify/swagger-ui"),
  ]);
  const docs = Fastify({ logger: false, exposeHeadRoutes: true });
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(swagger, { openapi: { ...OPENAPI, servers: [{ url: publicUrl }] } });
  const unused = () => undefined;
  for (const route of routes) docs.route({ ...route, handler: unused });
  await docs.register(swaggerUi, { routePrefix: "/docs", uiConfig: { deepLinking: true }, validatorUrl: false });
  docs.get("/openapi.json", { schema: { hide: true } }, () => docs.swagger());
  await docs.ready();
  return docs;
}
