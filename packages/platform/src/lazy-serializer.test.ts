import { SerializerSelector } from "@fastify/fast-json-stringify-compiler";
import { describe, expect, it } from "vitest";
import { createHttpServer } from "./http-server.ts";
import { createLogger } from "./log.ts";
import { lazySerializerFactory } from "./lazy-serializer.ts";
import { createMetrics } from "./metrics.ts";

const PRODUCT = {
  type: "object",
  properties: {
    id: { type: "string" },
    price: { type: "integer" },
    tags: { type: "array", items: { type: "string" } },
  },
  required: ["id"],
};
/** fast-json-stringify refuses this one when it compiles it (an unresolvable $ref). */
const BROKEN = { type: "object", properties: { x: { $ref: "#/definitions/missing" } } };
const route = (schema: unknown) => ({ method: "GET", url: "/p", httpStatus: "200", schema });

describe("lazySerializerFactory", () => {
  it("writes what Fastify's default serializer writes, compiling on the first call", () => {
    const lazy = lazySerializerFactory()(undefined, {})(route(PRODUCT));
    const eager = SerializerSelector()(undefined, {})(route(PRODUCT));
    const docs = [
      { id: "a", price: 1250, tags: ["x", "y"], secret: "dropped" },
      { id: 'b\u2028"', price: 0, tags: [] },
    ];
    for (const doc of docs) expect(lazy(doc)).toBe(eager(doc));
    expect(JSON.parse(lazy(docs[0]))).toEqual({ id: "a", price: 1250, tags: ["x", "y"] });
  });

  it("compiles a schema only when a reply needs it: a bad one fails that reply, not the factory", () => {
    expect(() => SerializerSelector()(undefined, {})(route(BROKEN))).toThrow();
    const serialize = lazySerializerFactory()(undefined, {})(route(BROKEN));
    expect(() => serialize({ x: 1 })).toThrow();
  });

  it("serves through createHttpServer: replies shaped by their schema; a route with a bad one fails alone", async () => {
    const app = createHttpServer({
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
      isReady: () => true,
    });
    app.get("/p", { schema: { response: { 200: PRODUCT } } }, async () => ({ id: "a", price: 5, secret: "no" }));
    app.get("/broken", { schema: { response: { 200: BROKEN } } }, async () => ({ x: 1 }));
    await app.ready();
    try {
      const ok = await app.inject({ method: "GET", url: "/p" });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ id: "a", price: 5 });
      const broken = await app.inject({ method: "GET", url: "/broken" });
      expect(broken.statusCode).toBe(500);
      expect(broken.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect((await app.inject({ method: "GET", url: "/p" })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
