import { Writable } from "node:stream";
import { pino } from "pino";
import { context, trace, TraceFlags } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHttpServer } from "./http-server.ts";
import { createLogger, isoTimeField } from "./log.ts";
import { createMetrics } from "./metrics.ts";

/** A logger writing into an array of parsed JSON lines. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: "info", name: "test", destination }), lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the process logger", () => {
  it("redacts passwords, card numbers and tokens under their usual names, nested too", async () => {
    const { logger, lines } = capturedLogger();
    logger.child({ service: "identity" }).info(
      {
        password: "hunter2",
        body: { password: "hunter3", accessToken: "eyJ.a.b", refreshToken: "r1" },
        payment: { card: { number: "4242424242424242", cvc: "123", expMonth: 12 } },
        order: { payment: { card: { number: "4000000000000002", cvc: "999" } } },
        req: { headers: { authorization: "Bearer eyJ.c.d", accept: "application/json" } },
      },
      "something happened",
    );
    await settle();
    const text = JSON.stringify(lines);
    for (const secret of ["hunter2", "hunter3", "eyJ.a.b", "r1", "4242424242424242", "4000000000000002", "123", "999"])
      expect(text).not.toContain(`"${secret}"`);
    expect(lines[0]).toMatchObject({
      msg: "something happened",
      service: "identity",
      password: "[redacted]",
      payment: { card: { number: "[redacted]", cvc: "[redacted]", expMonth: 12 } },
      req: { headers: { authorization: "[redacted]", accept: "application/json" } },
    });
  });
});

describe("the process logger's trace correlation", () => {
  it("adds the active span's trace and span ids to lines written inside it, and nothing outside", async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const { logger, lines } = capturedLogger();
      const spanContext = {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: TraceFlags.SAMPLED,
      };
      const fields = { reqId: "r1", status: 200 };
      logger.info(fields, "before");
      context.with(trace.setSpan(context.active(), trace.wrapSpanContext(spanContext)), () => {
        logger.info({ reqId: "r2" }, "inside");
        logger.info({ trace_id: "mine" }, "own field");
      });
      logger.info("after");
      await settle();

      expect(lines.map((line) => line["msg"])).toEqual(["before", "inside", "own field", "after"]);
      expect(lines[0]).toMatchObject({ reqId: "r1", status: 200 });
      expect(lines[0]).not.toHaveProperty("trace_id");
      expect(fields).toEqual({ reqId: "r1", status: 200 });
      expect(lines[1]).toMatchObject({ reqId: "r2", trace_id: spanContext.traceId, span_id: spanContext.spanId });
      expect(lines[2]).toMatchObject({ trace_id: "mine", span_id: spanContext.spanId });
      expect(lines[3]).not.toHaveProperty("trace_id");
      expect(lines[3]).not.toHaveProperty("span_id");
    } finally {
      context.disable();
      manager.disable();
    }
  });
});

describe("createHttpServer's access log", () => {
  it("writes one line per request with its id, method, URL, status and duration; other lines stay redacted", async () => {
    const { logger, lines } = capturedLogger();
    const app = createHttpServer({
      logger: logger.child({ service: "gateway" }),
      metrics: createMetrics(),
      isReady: () => true,
    });
    app.post("/echo", async (request) => {
      request.log.info({ body: request.body }, "echo");
      return { ok: true };
    });
    try {
      const reply = await app.inject({
        method: "POST",
        url: "/echo?x=1",
        headers: { "x-request-id": "req-42" },
        payload: { password: "hunter2" },
      });
      expect(reply.statusCode).toBe(200);
      await app.inject({ method: "GET", url: "/nowhere" });
      await settle();
      const access = lines.filter((line) => line["msg"] === "request completed");
      expect(access).toHaveLength(2);
      expect(access[0]).toMatchObject({
        service: "gateway",
        reqId: "req-42",
        method: "POST",
        url: "/echo?x=1",
        status: 200,
      });
      expect(typeof access[0]?.["durationMs"]).toBe("number");
      expect(access[1]).toMatchObject({ method: "GET", url: "/nowhere", status: 404 });
      const echo = lines.find((line) => line["msg"] === "echo");
      expect(echo).toMatchObject({ reqId: "req-42", body: { password: "[redacted]" } });
    } finally {
      await app.close();
    }
  });
});

describe("the log timestamp", () => {
  afterEach(() => vi.useRealTimers());

  it("is pino's ISO time field, formatted once per millisecond", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T18:00:00.123Z"));
    const timestamp = isoTimeField();
    const first = timestamp();
    expect(first).toBe(',"time":"2026-11-26T18:00:00.123Z"');
    // Same millisecond: the very same text; pino's own function agrees.
    expect(timestamp()).toBe(first);
    vi.setSystemTime(new Date("2026-11-26T18:00:00.124Z"));
    expect(timestamp()).toBe(',"time":"2026-11-26T18:00:00.124Z"');
    expect(timestamp()).toBe(pino.stdTimeFunctions.isoTime());
  });

  it("stamps the process logger's lines", async () => {
    const { logger, lines } = capturedLogger();
    const before = Date.now();
    logger.info("one");
    logger.info("two");
    await settle();
    const times = lines.map((line) => Date.parse(String(line["time"])));
    expect(times).toHaveLength(2);
    for (const time of times) {
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(Date.now());
    }
    expect(String(lines[0]?.["time"])).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
