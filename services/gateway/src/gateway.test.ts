import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, type HttpServer } from "@souk/platform";
import { testLogger } from "@souk/platform/testing";
import { createGateway } from "./index.ts";
import { createFakeServices, newSigningKey, signAccessToken } from "./testing/fake-services.ts";

/** Matchers typed as `unknown` (vitest types them `any`). */
const anyString: unknown = expect.any(String);
const bearerScheme: unknown = expect.objectContaining({ type: "http", scheme: "bearer" });

type Fakes = Awaited<ReturnType<typeof createFakeServices>>;

const CHECKOUT = {
  payment: { card: { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2030, cvc: "123" } },
  shippingAddress: { name: "Ada", line1: "1 Rue X", city: "Paris", postalCode: "75001", country: "FR" },
};

describe("gateway REST API (fake services, in-process)", () => {
  let app: HttpServer;
  let fakes: Fakes;
  let users = 0;

  beforeAll(async () => {
    fakes = await createFakeServices();
    ({ app } = await createGateway({
      config: {
        GATEWAY_JWT_ISSUER: "souk",
        GATEWAY_JWT_AUDIENCE: "souk-api",
        GATEWAY_CHECKOUT_WAIT_MS: 1234,
        GATEWAY_PUBLIC_URL: "https://api.example.test",
      },
      logger: testLogger(),
      metrics: createMetrics(),
      isReady: () => true,
      clients: fakes.clients,
    }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  /** Registers a fresh user and returns their bearer header and id. */
  async function newUser() {
    users += 1;
    const email = `user${users}@example.test`;
    const registered = await app.inject({
      method: "POST",
      url: "/v1/auth/register",
      payload: { email, password: "correct horse", name: `User ${users}` },
    });
    expect(registered.statusCode).toBe(201);
    const login = await app.inject({
      method: "POST",
      url: "/v1/auth/login",
      payload: { email, password: "correct horse" },
    });
    const { accessToken } = login.json<{ accessToken: string }>();
    return {
      headers: { authorization: `Bearer ${accessToken}` },
      id: registered.json<{ user: { id: string } }>().user.id,
    };
  }

  const expectProblem = (
    response: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T },
    status: number,
    code: string,
  ) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const body = response.json<{ status: number; code: string; errors?: { field: string; message: string }[] }>();
    expect(body).toMatchObject({ status, code });
    return body;
  };

  describe("auth", () => {
    it("registers (201), refuses a taken email (409), logs in and refreshes with an uncacheable Bearer pair", async () => {
      const payload = { email: "ada@example.test", password: "12345678", name: "Ada" };
      const created = await app.inject({ method: "POST", url: "/v1/auth/register", payload });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({ user: { id: anyString, email: "ada@example.test", name: "Ada" } });
      expectProblem(
        await app.inject({ method: "POST", url: "/v1/auth/register", payload }),
        409,
        "IDENTITY_EMAIL_TAKEN",
      );

      const login = await app.inject({
        method: "POST",
        url: "/v1/auth/login",
        payload: { email: payload.email, password: payload.password },
      });
      expect(login.statusCode).toBe(200);
      expect(login.headers["cache-control"]).toBe("no-store");
      const tokens = login.json<{ refreshToken: string }>();
      expect(tokens).toEqual({
        accessToken: anyString,
        refreshToken: anyString,
        tokenType: "Bearer",
        expiresIn: 900,
      });
      const refreshed = await app.inject({
        method: "POST",
        url: "/v1/auth/refresh",
        payload: { refreshToken: tokens.refreshToken },
      });
      expect(refreshed.statusCode).toBe(200);
      expect(refreshed.json()).toMatchObject({ tokenType: "Bearer" });
    });

    it("answers wrong credentials with 401 problem+json", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/v1/auth/login",
        payload: { email: "nobody@example.test", password: "x" },
      });
      expectProblem(response, 401, "IDENTITY_INVALID_CREDENTIALS");
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="souk"');
    });

    it("validates registration fields, naming each", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/v1/auth/register",
        payload: { email: "not-an-email", password: "short", name: "" },
      });
      const body = expectProblem(response, 400, "VALIDATION_FAILED");
      expect(body.errors?.map((e) => e.field).sort()).toEqual(["email", "name", "password"]);
    });

    it("serves identity's JWK Set at /.well-known/jwks.json", async () => {
      const response = await app.inject({ method: "GET", url: "/.well-known/jwks.json" });
      expect(response.statusCode).toBe(200);
      expect(response.json<{ keys: { kid: string; x: string }[] }>().keys[0]).toMatchObject({
        kid: "key-1",
        kty: "OKP",
        crv: "Ed25519",
        x: anyString,
      });
      expect(response.body).not.toContain('"d"');
    });
  });

  describe("bearer authentication", () => {
    it("answers every failure with 401 problem+json and an RFC 6750 challenge, before reading the body", async () => {
      const missing = await app.inject({ method: "POST", url: "/v1/cart/items", payload: { nonsense: true } });
      expectProblem(missing, 401, "AUTH_MISSING_TOKEN");
      expect(missing.headers["www-authenticate"]).toBe('Bearer realm="souk"');

      const garbage = await app.inject({
        method: "GET",
        url: "/v1/cart",
        headers: { authorization: "Bearer garbage.garbage.garbage" },
      });
      expectProblem(garbage, 401, "AUTH_INVALID_TOKEN");
      expect(garbage.headers["www-authenticate"]).toContain('error="invalid_token"');
      expect(garbage.body).not.toContain("garbage");

      const expired = await signAccessToken(fakes.state.signingKeys[0]!, { sub: "U1", expiresInSeconds: -3600 });
      const late = await app.inject({
        method: "GET",
        url: "/v1/orders",
        headers: { authorization: `Bearer ${expired}` },
      });
      expectProblem(late, 401, "AUTH_TOKEN_EXPIRED");
      expect(late.headers["www-authenticate"]).toContain('error="invalid_token"');

      const foreign = await signAccessToken(await newSigningKey("key-1"), { sub: "U1" });
      expectProblem(
        await app.inject({ method: "GET", url: "/v1/cart", headers: { authorization: `Bearer ${foreign}` } }),
        401,
        "AUTH_INVALID_TOKEN",
      );
    });
  });

  describe("validation and content negotiation", () => {
    it("does not coerce body types: a string or boolean quantity is a 400 naming the field", async () => {
      const { headers } = await newUser();
      for (const quantity of ["2", true, 1.5, 0, 100]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/cart/items",
          headers,
          payload: { productId: "P1", quantity },
        });
        expect(expectProblem(response, 400, "VALIDATION_FAILED").errors?.map((e) => e.field)).toEqual(["quantity"]);
      }
    });

    it("lists every missing field with its full path, and rejects unknown fields", async () => {
      const { headers } = await newUser();
      const missing = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "k-missing" },
        payload: { payment: { card: { number: "4242424242424242" } }, shippingAddress: {} },
      });
      const fields = expectProblem(missing, 400, "VALIDATION_FAILED")
        .errors?.map((e) => e.field)
        .sort();
      expect(fields).toEqual([
        "payment.card.cvc",
        "payment.card.expMonth",
        "payment.card.expYear",
        "shippingAddress.city",
        "shippingAddress.country",
        "shippingAddress.line1",
        "shippingAddress.name",
        "shippingAddress.postalCode",
      ]);
      const unknown = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "k-unknown" },
        payload: { ...CHECKOUT, coupon: "FREE", payment: { card: { ...CHECKOUT.payment.card, pin: "0000" } } },
      });
      expect(expectProblem(unknown, 400, "VALIDATION_FAILED").errors).toEqual([
        { field: "coupon", message: "is not a known field" },
        { field: "payment.card.pin", message: "is not a known field" },
      ]);
    });

    it("answers malformed JSON 400, a non-JSON body 415, a body over 1 MiB 413", async () => {
      const { headers } = await newUser();
      const json = { ...headers, "content-type": "application/json" };
      expectProblem(
        await app.inject({ method: "POST", url: "/v1/cart/items", headers: json, payload: '{"productId": "P1",' }),
        400,
        "MALFORMED_JSON",
      );
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/auth/login",
          headers: { "content-type": type },
          payload: "email=a",
        });
        expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
      }
      const huge = JSON.stringify({ email: "a@b.co", password: "x".repeat(1024 * 1024), name: "A" });
      expectProblem(
        await app.inject({ method: "POST", url: "/v1/auth/register", headers: json, payload: huge }),
        413,
        "BODY_TOO_LARGE",
      );
    });

    it("refuses control characters in text fields, query strings and path ids", async () => {
      const { headers } = await newUser();
      const name = await app.inject({
        method: "POST",
        url: "/v1/auth/register",
        payload: { email: "nul@example.test", password: "12345678", name: "a\u0000b" },
      });
      expect(expectProblem(name, 400, "VALIDATION_FAILED").errors).toEqual([
        { field: "name", message: "must not contain control characters" },
      ]);
      const query = await app.inject({ method: "GET", url: "/v1/products?q=%00" });
      expect(expectProblem(query, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("querystring.q");
      const id = await app.inject({ method: "GET", url: "/v1/orders/%1B", headers });
      expect(expectProblem(id, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("params.id");
    });

    it("validates query strings after converting them (limit 1..100), and path ids", async () => {
      expectProblem(await app.inject({ method: "GET", url: "/v1/products?limit=0" }), 400, "VALIDATION_FAILED");
      expectProblem(await app.inject({ method: "GET", url: "/v1/products?limit=abc" }), 400, "VALIDATION_FAILED");
      expect((await app.inject({ method: "GET", url: "/v1/products?limit=1" })).json()).toMatchObject({
        nextCursor: "next",
      });
    });

    it("requires a visible-ASCII Idempotency-Key of 1..255 characters on checkout", async () => {
      const { headers } = await newUser();
      for (const key of [undefined, "", "has space", "é", "k".repeat(256)]) {
        const response = await app.inject({
          method: "POST",
          url: "/v1/checkout",
          headers: key === undefined ? headers : { ...headers, "idempotency-key": key },
          payload: CHECKOUT,
        });
        expect(expectProblem(response, 400, "VALIDATION_FAILED").errors?.[0]?.field).toBe("headers.idempotency-key");
      }
    });
  });

  describe("catalog", () => {
    it("lists products with availability from inventory (unknown SKU → 0) and a null cursor on the last page", async () => {
      const response = await app.inject({ method: "GET", url: "/v1/products?q=tea&category=" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        items: [
          {
            id: "P1",
            sku: "SKU-1",
            name: "Teapot",
            description: "Brass",
            category: "kitchen",
            price: { amount: 2500, currency: "USD" },
            available: 3,
            images: [],
          },
          {
            id: "P2",
            sku: "SKU-2",
            name: "Rug",
            description: "Wool",
            category: "home",
            price: { amount: 9900, currency: "USD" },
            available: 0,
            images: ["r.jpg"],
          },
        ],
        nextCursor: null,
      });
    });

    it("gets one product, 404 for an unknown id, lists categories, and passes service field errors through", async () => {
      expect((await app.inject({ method: "GET", url: "/v1/products/P1" })).json()).toMatchObject({
        id: "P1",
        available: 3,
      });
      expectProblem(await app.inject({ method: "GET", url: "/v1/products/nope" }), 404, "CATALOG_PRODUCT_NOT_FOUND");
      expect((await app.inject({ method: "GET", url: "/v1/categories" })).json()).toEqual({
        items: [{ slug: "home", name: "Home", productCount: 1 }],
      });
      const bad = await app.inject({ method: "GET", url: "/v1/products?cursor=bad" });
      expect(expectProblem(bad, 400, "CATALOG_INVALID_CURSOR").errors).toEqual([
        { field: "cursor", message: "is invalid" },
      ]);
    });
  });

  describe("cart, checkout and orders", () => {
    it("edits the caller's own cart only", async () => {
      const alice = await newUser();
      const bob = await newUser();
      const added = await app.inject({
        method: "POST",
        url: "/v1/cart/items",
        headers: alice.headers,
        payload: { productId: "P1", quantity: 2 },
      });
      expect(added.statusCode).toBe(200);
      expect(added.json()).toEqual({
        items: [
          {
            productId: "P1",
            name: "Teapot",
            quantity: 2,
            unitPrice: { amount: 2500, currency: "USD" },
            lineTotal: { amount: 5000, currency: "USD" },
          },
        ],
        total: { amount: 5000, currency: "USD" },
      });
      const updated = await app.inject({
        method: "PUT",
        url: "/v1/cart/items/P1",
        headers: alice.headers,
        payload: { quantity: 3 },
      });
      expect(updated.json()).toMatchObject({ total: { amount: 7500 } });
      expect((await app.inject({ method: "GET", url: "/v1/cart", headers: bob.headers })).json()).toEqual({
        items: [],
        total: { amount: 0, currency: "USD" },
      });
      expectProblem(
        await app.inject({ method: "DELETE", url: "/v1/cart/items/P1", headers: bob.headers }),
        404,
        "CART_LINE_NOT_FOUND",
      );
      expectProblem(
        await app.inject({
          method: "POST",
          url: "/v1/cart/items",
          headers: alice.headers,
          payload: { productId: "nope", quantity: 1 },
        }),
        404,
        "CART_PRODUCT_NOT_FOUND",
      );
      const removed = await app.inject({ method: "DELETE", url: "/v1/cart/items/P1", headers: alice.headers });
      expect(removed.json()).toMatchObject({ items: [] });
    });

    it("checks out (201, Location), replays the same key and body, refuses the key with another body (422)", async () => {
      const { headers, id } = await newUser();
      await app.inject({ method: "POST", url: "/v1/cart/items", headers, payload: { productId: "P1", quantity: 1 } });
      const request = {
        method: "POST" as const,
        url: "/v1/checkout",
        headers: { ...headers, "idempotency-key": "order-1" },
        payload: CHECKOUT,
      };
      const first = await app.inject(request);
      expect(first.statusCode).toBe(201);
      const { order } = first.json<{ order: { id: string } }>();
      expect(first.headers["location"]).toBe(`/v1/orders/${order.id}`);
      expect(first.headers["idempotent-replayed"]).toBeUndefined();
      expect(order).toEqual({
        id: anyString,
        status: "CONFIRMED",
        total: { amount: 2500, currency: "USD" },
        lines: [
          {
            productId: "P1",
            sku: "SKU-1",
            name: "Teapot",
            quantity: 1,
            unitPrice: { amount: 2500, currency: "USD" },
            lineTotal: { amount: 2500, currency: "USD" },
          },
        ],
        shippingAddress: CHECKOUT.shippingAddress,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
      });
      expect(fakes.state.checkoutCalls.at(-1)).toEqual({
        userId: id,
        idempotencyKey: "order-1",
        waitMs: 1234,
        cardNumber: "4242424242424242",
      });

      const replay = await app.inject(request);
      expect(replay.statusCode).toBe(201);
      expect(replay.headers["idempotent-replayed"]).toBe("true");
      expect(replay.json()).toEqual(first.json());

      const other = { ...CHECKOUT, shippingAddress: { ...CHECKOUT.shippingAddress, city: "Lyon" } };
      expectProblem(await app.inject({ ...request, payload: other }), 422, "ORDERS_IDEMPOTENCY_KEY_REUSED");
    });

    it("answers 202 while PENDING, 201 with the reason when CANCELLED, and renames service field paths to the REST body's", async () => {
      const { headers } = await newUser();
      await app.inject({ method: "POST", url: "/v1/cart/items", headers, payload: { productId: "P1", quantity: 1 } });
      const checkout = (key: string, number: string) =>
        app.inject({
          method: "POST",
          url: "/v1/checkout",
          headers: { ...headers, "idempotency-key": key },
          payload: { ...CHECKOUT, payment: { card: { ...CHECKOUT.payment.card, number } } },
        });
      const pending = await checkout("p", "4000000000000077");
      expect(pending.statusCode).toBe(202);
      expect(pending.json()).toMatchObject({ order: { status: "PENDING" } });
      const declined = await checkout("d", "4000000000000002");
      expect(declined.statusCode).toBe(201);
      expect(declined.json()).toMatchObject({ order: { status: "CANCELLED", cancellationReason: "card_declined" } });
      const invalid = expectProblem(await checkout("i", "4000000000000000"), 400, "PAYMENTS_INVALID_CARD");
      expect(invalid.errors?.map((e) => e.field)).toEqual(["payment.card.number", "shippingAddress.postalCode"]);
    });

    it("lists, gets and cancels the caller's orders; another user's order is a 404", async () => {
      const alice = await newUser();
      const bob = await newUser();
      await app.inject({
        method: "POST",
        url: "/v1/cart/items",
        headers: alice.headers,
        payload: { productId: "P1", quantity: 1 },
      });
      const placed = await app.inject({
        method: "POST",
        url: "/v1/checkout",
        headers: { ...alice.headers, "idempotency-key": "a" },
        payload: CHECKOUT,
      });
      const { id } = placed.json<{ order: { id: string } }>().order;

      const list = await app.inject({ method: "GET", url: "/v1/orders?limit=10", headers: alice.headers });
      expect(list.json()).toMatchObject({ items: [{ id }], nextCursor: null });
      expect(
        (await app.inject({ method: "GET", url: `/v1/orders/${id}`, headers: alice.headers })).json(),
      ).toMatchObject({ order: { id } });
      expectProblem(
        await app.inject({ method: "GET", url: `/v1/orders/${id}`, headers: bob.headers }),
        404,
        "ORDERS_NOT_FOUND",
      );
      expectProblem(
        await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: bob.headers }),
        404,
        "ORDERS_NOT_FOUND",
      );
      expect((await app.inject({ method: "GET", url: "/v1/orders", headers: bob.headers })).json()).toEqual({
        items: [],
        nextCursor: null,
      });

      const cancelled = await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: alice.headers });
      expect(cancelled.json()).toMatchObject({ order: { id, status: "REFUNDED" } });
      expectProblem(
        await app.inject({ method: "POST", url: `/v1/orders/${id}/cancel`, headers: alice.headers }),
        409,
        "ORDERS_NOT_CANCELLABLE",
      );
    });
  });

  describe("documentation and operations", () => {
    it("serves an OpenAPI 3.1 document of the /v1 API with tags, operationIds, bearer security and problem responses", async () => {
      const response = await app.inject({ method: "GET", url: "/openapi.json" });
      expect(response.statusCode).toBe(200);
      const doc = response.json<{
        openapi: string;
        servers: { url: string }[];
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              tags: string[];
              security?: unknown;
              responses: Record<string, { content?: Record<string, unknown> }>;
              parameters?: { name: string; in: string; required?: boolean }[];
            }
          >
        >;
        components: { securitySchemes: Record<string, unknown> };
      }>();
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers).toEqual([{ url: "https://api.example.test" }]);
      expect(Object.keys(doc.paths).sort()).toEqual([
        "/.well-known/jwks.json",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/register",
        "/v1/cart",
        "/v1/cart/items",
        "/v1/cart/items/{productId}",
        "/v1/categories",
        "/v1/checkout",
        "/v1/orders",
        "/v1/orders/{id}",
        "/v1/orders/{id}/cancel",
        "/v1/products",
        "/v1/products/{id}",
      ]);
      const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
      expect(new Set(operations.map((o) => o.operationId)).size).toBe(15);
      expect(
        operations.every(
          (o) => o.tags.length === 1 && o.responses["400"]?.content?.["application/problem+json"] !== undefined,
        ),
      ).toBe(true);
      expect(doc.components.securitySchemes).toEqual({
        bearerAuth: bearerScheme,
      });
      const checkout = doc.paths["/v1/checkout"]!["post"]!;
      expect(checkout.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(checkout.responses)).toEqual(
        expect.arrayContaining(["201", "202", "401", "409", "413", "415", "422"]),
      );
      expect(checkout.parameters).toContainEqual(
        expect.objectContaining({ name: "idempotency-key", in: "header", required: true }),
      );
      expect(doc.paths["/v1/products"]!["get"]!.security).toBeUndefined();
    });

    it("serves Swagger UI and its assets from the package, and the platform's probes", async () => {
      const docs = await app.inject({ method: "GET", url: "/docs" });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers["content-type"]).toMatch(/^text\/html/);
      expect((await app.inject({ method: "GET", url: "/docs/static/swagger-ui.css" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/metrics" })).body).toContain("souk_http_requests_total");
    });

    it("answers an unknown route with a 404 problem", async () => {
      expectProblem(await app.inject({ method: "GET", url: "/v1/nope" }), 404, "ROUTE_NOT_FOUND");
    });
  });
});
