import Type from "typebox";

/** The gateway's environment: variable name → schema (parsed once by the launcher with `loadConfig`). */
export const GatewayConfig = Type.Object({
  GATEWAY_JWT_ISSUER: Type.String({
    minLength: 1,
    default: "souk",
    description: "Required `iss` claim of access tokens",
  }),
  GATEWAY_JWT_AUDIENCE: Type.String({
    minLength: 1,
    default: "souk-api",
    description: "Required `aud` claim of access tokens",
  }),
  GATEWAY_CHECKOUT_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 5_000,
    description:
      "How long POST /v1/checkout waits for a terminal order state before answering 202 with the PENDING order",
  }),
  GATEWAY_PUBLIC_URL: Type.String({
    pattern: "^https?://[^\\s]+$",
    default: "http://127.0.0.1:8080",
    description: "Public base URL of the API, advertised as the OpenAPI server",
  }),
  GATEWAY_RATE_LIMIT_PER_IP: Type.Integer({
    minimum: 1,
    default: 1200,
    description: "Requests per window from one client IP without a valid access token",
  }),
  GATEWAY_RATE_LIMIT_PER_USER: Type.Integer({
    minimum: 1,
    default: 600,
    description: "Requests per window from one signed-in user (keyed by the verified token's subject)",
  }),
  GATEWAY_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000, description: "Rate-limit window" }),
  GATEWAY_RATE_LIMIT_SYNC_MS: Type.Integer({
    minimum: 0,
    default: 100,
    description:
      "With Redis (distributed topology): how often requests counted in this process are added to the shared " +
      "counters, in ms. A request that would take its client past half the limit is counted in Redis at once; " +
      "0 counts every request in Redis at once",
  }),
  GATEWAY_ADMIN_TOKEN: Type.String({
    default: "",
    description:
      "Bearer token of the operators' admin API (/v1/admin/*: analytics, webhook endpoints, dead letters); empty disables it",
  }),
  GATEWAY_TRUST_PROXY: Type.String({
    default: "127.0.0.1,::1",
    description:
      "Proxies (addresses/CIDRs, comma-separated) whose X-Forwarded-For is believed for the client IP; empty trusts none",
  }),
  GATEWAY_PRODUCT_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 10_000,
    description:
      "How long GET /v1/products/{id} and GET /v1/products may reuse catalog's answer (a product, a page of a " +
      "listing) from this process's memory, in ms (0 = ask catalog every time); stock has GATEWAY_STOCK_CACHE_TTL_MS",
  }),
  GATEWAY_STOCK_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 5_000,
    description:
      "How long product pages and listings may show a SKU's available units from this process's memory, in ms " +
      "(0 = ask inventory on every request); a request with Cache-Control: no-cache asks inventory. Checkout " +
      "reserves against inventory's own count, never this one",
  }),
  GATEWAY_EDGE_CACHE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 60,
    default: 1,
    description:
      "How long a shared cache in front of the gateway (the cluster's NGINX) may answer GET /v1/products/{id} and " +
      "GET /v1/products from a kept answer, in s: their `Cache-Control: public, max-age=0, s-maxage=N`. Stock shown " +
      "through it may be this much older than GATEWAY_STOCK_CACHE_TTL_MS; 0 sends no Cache-Control",
  }),
  GATEWAY_PRODUCT_CACHE_MAX_ENTRIES: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: "Most products the gateway's product cache holds, and most SKUs its stock cache holds",
  }),
  GATEWAY_LISTING_CACHE_MAX_PRODUCTS: Type.Integer({
    minimum: 100,
    default: 20_000,
    description:
      "Most products the gateway's cache of listing pages (one per query, category, limit and cursor) holds, " +
      "all pages together; the least recently used pages go first",
  }),
});
