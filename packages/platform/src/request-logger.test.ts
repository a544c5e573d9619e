import { Writable } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it, vi } from "vitest";
import { createHttpServer } from "./http-server.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { DeferredChildLogger } from "./request-logger.ts";

/** A process logger (`createLogger`: redaction, mixin, timestamp) writing into an array of parsed lines. */
function capturedLogger(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, name: "test", destination }), lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const withoutTime = (line: Record<string, unknown> | undefined) => ({ ...line, time: undefined });

describe("DeferredChildLogger", () => {
  it("writes what pino's own child writes: bindings, redaction, levels, grandchildren", async () => {
    const { logger, lines } = capturedLogger();
    const parent = logger.child({ service: "gateway" });
    const fields = { order: { payment: { card: { number: "4242424242424242", cvc: "123" } } }, status: 502 };
    const log = (child: FastifyBaseLogger) => {
      child.warn(fields, "upstream failure");
      child.child({ orderId: "o-1" }).error({ password: "hunter2" }, "nested");
    };
    log(parent.child({ reqId: "r-1" }));
    log(new DeferredChildLogger(parent, { reqId: "r-1" }));
    await settle();
    expect(lines).toHaveLength(4);
    expect(withoutTime(lines[2])).toEqual(withoutTime(lines[0]));
    expect(withoutTime(lines[3])).toEqual(withoutTime(lines[1]));
    expect(lines[2]).toMatchObject({
      service: "gateway",
      reqId: "r-1",
      level: 40,
      order: { payment: { card: { number: "[redacted]", cvc: "[redacted]" } } },
    });
    expect(lines[3]).toMatchObject({ reqId: "r-1", orderId: "o-1", level: 50, password: "[redacted]" });
  });

  it("makes the child on the first call the level lets through, once, and never for calls below it", async () => {
    const { logger, lines } = capturedLogger("info");
    const childOf = vi.spyOn(logger, "child");
    const deferred = new DeferredChildLogger(logger, { reqId: "r-2" }, { msgPrefix: "[r-2] " });
    deferred.debug("not written");
    deferred.trace({ a: 1 }, "not written either");
    deferred.silent();
    expect(childOf).not.toHaveBeenCalled();
    expect(deferred.made).toBe(false);
    expect(deferred.level).toBe("info");

    deferred.info("first");
    deferred.error({ code: "X" }, "second");
    deferred.debug("still below the level");
    expect(childOf).toHaveBeenCalledTimes(1);
    expect(childOf).toHaveBeenCalledWith({ reqId: "r-2" }, { msgPrefix: "[r-2] " });
    expect(deferred.made).toBe(true);
    await settle();
    expect(lines.map((line) => [line["msg"], line["reqId"]])).toEqual([
      ["[r-2] first", "r-2"],
      ["[r-2] second", "r-2"],
    ]);
  });

  it("takes a level of its own like pino's child: the parent keeps its level", async () => {
    const { logger, lines } = capturedLogger("info");
    const deferred = new DeferredChildLogger(logger, { reqId: "r-3" });
    deferred.level = "debug";
    deferred.debug("now written");
    logger.debug("the parent's debug stays off");
    expect(deferred.level).toBe("debug");
    expect(logger.level).toBe("info");
    await settle();
    expect(lines.map((line) => line["msg"])).toEqual(["now written"]);
  });
});

describe("createHttpServer's request logger", () => {
  it("is made only for the requests that log through it", async () => {
    const { logger, lines } = capturedLogger();
    const app = createHttpServer({ logger, metrics: createMetrics(), isReady: () => true });
    app.get("/quiet", async () => ({ ok: true }));
    app.get("/fails", async () => {
      throw new Error("boom");
    });
    app.get("/talks", async (request) => {
      request.log.info({ password: "hunter2" }, "talking");
      return { ok: true };
    });
    const childOf = vi.spyOn(logger, "child");
    try {
      for (let i = 0; i < 3; i++) expect((await app.inject({ method: "GET", url: "/quiet" })).statusCode).toBe(200);
      expect(childOf).not.toHaveBeenCalled();

      const failed = await app.inject({ method: "GET", url: "/fails", headers: { "x-request-id": "req-500" } });
      expect(failed.statusCode).toBe(500);
      expect(failed.json()).toMatchObject({ code: "INTERNAL", detail: "internal error" });
      await app.inject({ method: "GET", url: "/talks", headers: { "x-request-id": "req-200" } });
      expect(childOf).toHaveBeenCalledTimes(2);
      await settle();
      expect(lines.find((line) => line["msg"] === "unhandled error")).toMatchObject({
        reqId: "req-500",
        level: 50,
        err: { message: "boom" },
      });
      expect(lines.find((line) => line["msg"] === "talking")).toMatchObject({
        reqId: "req-200",
        password: "[redacted]",
      });
      expect(lines.filter((line) => line["msg"] === "request completed")).toHaveLength(5);
    } finally {
      await app.close();
    }
  });
});
