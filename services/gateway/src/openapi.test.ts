import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/**
 * A fresh Node process (the module cache of this one is shared with other tests) that registers
 * the docs on a bare Fastify app with two routes, and prints which documentation packages are
 * loaded after `ready()`, then after each request.
 */
const PROBE = `
import { createRequire } from "node:module";
import Fastify from "fastify";
import { registerOpenApi } from ${JSON.stringify(new URL("./openapi.ts", import.meta.url).href)};
const cache = createRequire(import.meta.url).cache;
const loaded = () => ["/yaml/", "/@fastify/swagger/", "/@fastify/swagger-ui/", "/@fastify/static/"]
  .filter((pkg) => Object.keys(cache).some((file) => file.includes("/node_modules" + pkg)));
const app = Fastify();
registerOpenApi(app, "https://shop.example.test");
app.get("/v1/things/:id", {
  schema: {
    tags: ["catalog"],
    operationId: "getThing",
    params: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    response: { 200: { type: "object", properties: { id: { type: "string" } } } },
  },
}, async (request) => ({ id: request.params.id }));
app.post("/v1/things", { schema: { hide: true } }, async () => ({}));
await app.ready();
const out = { atReady: loaded() };
const doc = await app.inject({ method: "GET", url: "/openapi.json" });
out.doc = { status: doc.statusCode, type: doc.headers["content-type"], body: doc.json() };
out.afterDoc = loaded();
const ui = await app.inject({ method: "GET", url: "/docs" });
out.ui = { status: ui.statusCode, type: ui.headers["content-type"], html: ui.body.includes("swagger-ui") };
const css = await app.inject({ method: "GET", url: "/docs/static/swagger-ui.css" });
out.css = { status: css.statusCode, type: css.headers["content-type"], bytes: css.rawPayload.length, etag: css.headers.etag };
const again = await app.inject({ method: "GET", url: "/docs/static/swagger-ui.css", headers: { "if-none-match": css.headers.etag } });
out.cssAgain = again.statusCode;
out.missing = (await app.inject({ method: "GET", url: "/docs/static/nope.css" })).statusCode;
out.thing = (await app.inject({ method: "GET", url: "/v1/things/7" })).json();
console.log(JSON.stringify(out));
await app.close();
`;

describe("the API documentation", () => {
  it("loads its packages on the first request for it, then serves the document and Swagger UI", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", PROBE], { timeout: 60_000 });
    const out = JSON.parse(stdout) as {
      atReady: string[];
      afterDoc: string[];
      doc: {
        status: number;
        type: string;
        body: {
          openapi: string;
          servers: unknown;
          paths: Record<string, Record<string, { operationId: string; tags: string[]; parameters: unknown[] }>>;
        };
      };
      ui: { status: number; type: string; html: boolean };
      css: { status: number; type: string; bytes: number; etag: string };
      cssAgain: number;
      missing: number;
      thing: unknown;
    };
    expect(out.atReady).toEqual([]);
    expect(out.afterDoc).toEqual(["/yaml/", "/@fastify/swagger/", "/@fastify/swagger-ui/", "/@fastify/static/"]);
    expect(out.doc.status).toBe(200);
    expect(out.doc.type).toMatch(/^application\/json/);
    expect(out.doc.body.openapi).toBe("3.1.0");
    expect(out.doc.body.servers).toEqual([{ url: "https://shop.example.test" }]);
    // The hidden route and the documentation's own routes are not described.
    expect(Object.keys(out.doc.body.paths)).toEqual(["/v1/things/{id}"]);
    const getThing = out.doc.body.paths["/v1/things/{id}"]!["get"]!;
    expect(getThing.operationId).toBe("getThing");
    expect(getThing.tags).toEqual(["catalog"]);
    expect(getThing.parameters).toEqual([{ schema: { type: "string" }, in: "path", name: "id", required: true }]);
    expect([out.ui.status, out.ui.html]).toEqual([200, true]);
    expect(out.ui.type).toMatch(/^text\/html/);
    expect(out.css.status).toBe(200);
    expect(out.css.type).toMatch(/^text\/css/);
    expect(out.css.bytes).toBeGreaterThan(1_000);
    // Conditional requests and misses pass through the documentation app unchanged.
    expect(out.cssAgain).toBe(304);
    expect(out.missing).toBe(404);
    expect(out.thing).toEqual({ id: "7" });
  });
});
