import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { HttpServer } from "@souk/platform";

/**
 * Registers the OpenAPI 3.1 document, generated from the route schemas of every route added
 * after this call (tags, operationIds, bearer security, problem+json errors), served at
 * GET /openapi.json, and Swagger UI at /docs with its assets served from the package (works offline).
 */
export async function registerOpenApi(app: HttpServer, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Souk API",
        version: "1.0.0",
        description:
          "The public REST API of the Souk store. Errors are RFC 9457 `application/problem+json` with a " +
          "stable `code`. Money is `{ amount, currency }` with `amount` in integer minor units.",
      },
      servers: [{ url: publicUrl }],
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
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { deepLinking: true }, validatorUrl: false });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
