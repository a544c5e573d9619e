import { execFile } from "node:child_process";
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import { context, trace, TraceFlags } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import Type from "typebox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHttpServer } from "./http-server.ts";
import { isoTimeField, STDOUT_FLUSH_MS } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { DeferredChildLogger } from "./request-logger.ts";
import { capturedLogger } from "./testing.ts";

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

describe("the process logger on stdout", () => {
  /** Runs a Node process that logs `lines` lines through `createLogger` to stdout, then ends by `ending`. */
  const logThenEnd = (lines: number, ending: string) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const script = `
        import { createLogger } from ${JSON.stringify(new URL("./log.ts", import.meta.url).href)};
        const logger = createLogger({ level: "info" });
        for (let i = 0; i < ${lines}; i++) logger.info({ i }, "line");
        ${ending}`;
      const child = execFile(process.execPath, ["--input-type=module", "-e", script], { maxBuffer: 64 << 20 });
      let stdout = "";
      child.stdout!.on("data", (chunk: string) => (stdout += chunk));
      child.on("close", (code) => resolve({ code, stdout }));
    });
  const numbers = (stdout: string) =>
    stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => (JSON.parse(line) as { i: number }).i);

  it("loses no line when the process exits or crashes right after logging (its writes are asynchronous)", async () => {
    const exited = await logThenEnd(3_000, "process.exit(3);");
    expect(exited.code).toBe(3);
    expect(numbers(exited.stdout)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    const crashed = await logThenEnd(3_000, 'throw new Error("boom");');
    expect(crashed.code).toBe(1);
    expect(numbers(crashed.stdout)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    // Fewer lines than one batch: all of them still in the logger's buffer when the process ends.
    const few = await logThenEnd(3, "process.exit(0);");
    expect(numbers(few.stdout)).toEqual([0, 1, 2]);
    const fewCrashed = await logThenEnd(3, 'throw new Error("boom");');
    expect(numbers(fewCrashed.stdout)).toEqual([0, 1, 2]);
  });

  it("holds a quiet process's lines for a batch, then writes them within its flush period", async () => {
    expect(STDOUT_FLUSH_MS).toBeLessThan(1_000);
    // Two lines logged, "held" written to stdout synchronously right after, "later" a second
    // later (five flush periods), then the process waits on: the lines come between the two.
    const { stdout } = await logThenEnd(
      2,
      `import { writeSync } from "node:fs";
      writeSync(1, "held\\n");
      setTimeout(() => writeSync(1, "later\\n"), 1_000);
      setTimeout(() => process.exit(0), 1_500);`,
    );
    expect(stdout.split("\n").filter((line) => line !== "")).toEqual([
      "held",
      expect.stringContaining('"i":0'),
      expect.stringContaining('"i":1'),
      "later",
    ]);
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
    const { logger, lines } = capturedLogger("debug");
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
        level: 20,
      });
      expect(typeof access[0]?.["durationMs"]).toBe("number");
      expect(access[1]).toMatchObject({ method: "GET", url: "/nowhere", status: 404, level: 30 });
      const echo = lines.find((line) => line["msg"] === "echo");
      expect(echo).toMatchObject({ reqId: "req-42", body: { password: "[redacted]" } });
    } finally {
      await app.close();
    }
  });

  it("writes errors and slow requests at info, and fast successful ones at debug", async () => {
    const { logger, lines } = capturedLogger("info");
    const app = createHttpServer({ logger, metrics: createMetrics(), isReady: () => true, slowRequestMs: 40 });
    app.get("/fast", async () => ({ ok: true }));
    app.get("/slow", async () => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return { ok: true };
    });
    app.post("/strict", { schema: { body: Type.Object({ n: Type.Integer() }) } }, async () => ({ ok: true }));
    try {
      expect((await app.inject({ method: "GET", url: "/fast" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/slow" })).statusCode).toBe(200);
      expect((await app.inject({ method: "POST", url: "/strict", payload: { n: "x" } })).statusCode).toBe(400);
      expect((await app.inject({ method: "GET", url: "/nowhere" })).statusCode).toBe(404);
      await settle();
      const access = lines.filter((line) => line["msg"] === "request completed");
      expect(access.map((line) => [line["url"], line["status"], line["level"]])).toEqual([
        ["/slow", 200, 30],
        ["/strict", 400, 30],
        ["/nowhere", 404, 30],
      ]);
      expect(access[0]?.["durationMs"]).toBeGreaterThanOrEqual(40);
      // The metrics still count every request, the fast one included.
      const metrics = await app.inject({ method: "GET", url: "/metrics" });
      expect(metrics.body).toMatch(/souk_http_requests_total\{[^}]*route="\/fast"[^}]*\} 1/);
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
      // At info, only the failed request's access line is written (the others answered 200 at once).
      expect(lines.filter((line) => line["msg"] === "request completed").map((line) => line["status"])).toEqual([500]);
    } finally {
      await app.close();
    }
  });
});
