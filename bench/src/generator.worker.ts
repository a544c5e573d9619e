// The load generator's thread: owns the connection pool and the shopper operations, runs one
// probe or step at a time on command, and reports progress and results to the main thread.
// Keeping it off the main thread keeps its timers clear of the orchestration (pgbench output,
// file writes, the progress display).
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { Pool } from "undici";
import { createSeededRandom } from "../../apps/souk/src/shop/seeded-random.ts";
import type {
  GeneratorCommand,
  GeneratorInit,
  GeneratorReply,
  GeneratorScenario,
  StepCounters,
} from "./generator.protocol.ts";
import { runClosedLoop, runOpenLoopStep, type LoopProgress, type Operation } from "./load-generator.ts";
import { createShopperOperations, staticFileOperation, type HttpClient } from "./shopper.operations.ts";
import { absorbUncaughtSocketErrors } from "./uncaught-socket-errors.ts";

const init = workerData as GeneratorInit;
const port = parentPort;
if (port === null) throw new Error("generator.worker.ts runs as a worker thread");
// A full run once lost its distributed half to one "other side closed" raised past every request
// (undici#3848) while a browse step 2.6× past saturation aborted thousands of requests.
absorbUncaughtSocketErrors();

const pool = new Pool(init.origin, {
  connections: init.connections,
  pipelining: 1,
  // HTTP/1.1 to every server, as to the static-file limits (which speak only HTTP/1.1): undici
  // negotiates h2 by default when a TLS server offers it, as the cluster's edge does, and HTTP/2
  // cost the distributed product page 29–46 % of its rate (9,016–11,996 against 16,847/s).
  allowH2: false,
  keepAliveTimeout: 60_000,
  // Bounded by the step's abort (end of drain), not by undici's 5-minute defaults.
  headersTimeout: 60_000,
  bodyTimeout: 60_000,
  ...(init.caPem === undefined ? {} : { connect: { ca: init.caPem } }),
});

const http: HttpClient = {
  async request(request, readBody) {
    const response = await pool.request({
      origin: init.origin,
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    // Error bodies are read too: their problem+json code names the failure in the report.
    if (readBody || response.statusCode >= 400)
      return { status: response.statusCode, body: await response.body.text() };
    await response.body.dump({ limit: 1 << 20 });
    return { status: response.statusCode, body: "" };
  },
};

const shopper =
  init.shopper === undefined ? undefined : createShopperOperations(http, init.shopper, createSeededRandom(init.seed));
const clock = { now: () => performance.now() };

function pickerOf(command: { readonly scenario: GeneratorScenario }): () => Operation {
  if (command.scenario === "static") {
    if (init.staticPath === undefined) throw new Error("this generator has no static file");
    const operation = staticFileOperation(http, init.staticPath);
    return () => operation;
  }
  if (shopper === undefined) throw new Error("this generator has no shopper data");
  return shopper.pickerOf(command.scenario);
}

function countersSnapshot(): StepCounters {
  return shopper === undefined
    ? { orders: {}, settledLater: {}, refills: 0, refillFailures: 0 }
    : {
        ...shopper.counters,
        orders: { ...shopper.counters.orders },
        settledLater: { ...shopper.counters.settledLater },
      };
}

function post(reply: GeneratorReply): void {
  port?.postMessage(reply);
}

port.on("message", (command: GeneratorCommand) => {
  void handle(command).then(
    (value) => post({ type: "done", id: command.id, value }),
    (error: unknown) =>
      post({
        type: "failed",
        id: command.id,
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});

async function handle(command: GeneratorCommand): Promise<unknown> {
  const onProgress = (progress: LoopProgress) => post({ type: "progress", id: command.id, progress });
  switch (command.type) {
    case "probe":
      return runClosedLoop(
        { concurrency: command.concurrency, durationMs: command.durationMs, next: pickerOf(command), onProgress },
        clock,
      );
    case "step": {
      const before = countersSnapshot();
      const stats = await runOpenLoopStep(
        {
          rateRps: command.rateRps,
          durationMs: command.durationMs,
          drainMs: command.drainMs,
          maxPending: command.maxPending,
          next: pickerOf(command),
          onProgress,
        },
        clock,
      );
      return { stats, counters: countersDelta(before, countersSnapshot()) };
    }
    case "quiesce": {
      // Every customer back in its pool: no order settling, no cart refilling.
      const deadline = performance.now() + command.timeoutMs;
      while ((shopper?.busyCustomers() ?? 0) > 0 && performance.now() < deadline) await sleep(50);
      return shopper?.busyCustomers() ?? 0;
    }
    case "recover": {
      const next = pickerOf(command);
      const deadline = performance.now() + command.timeoutMs;
      let inARow = 0;
      while (performance.now() < deadline) {
        const started = performance.now();
        const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - started)));
        const ok = await next()
          .run(signal)
          .then(
            (result) => result.ok,
            () => false,
          );
        inARow = ok && performance.now() - started <= command.fastMs ? inARow + 1 : 0;
        if (inARow >= 3) return { recovered: true };
        await sleep(20);
      }
      return { recovered: false };
    }
    case "tokens":
      shopper?.updateTokens(new Map(command.tokens));
      return undefined;
    case "close":
      shopper?.close();
      await pool.close();
      return undefined;
  }
}

function countersDelta(before: StepCounters, after: StepCounters): StepCounters {
  const diff = (a: Record<string, number>, b: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [status, count] of Object.entries(b)) {
      const delta = count - (a[status] ?? 0);
      if (delta > 0) out[status] = delta;
    }
    return out;
  };
  return {
    orders: diff(before.orders, after.orders),
    settledLater: diff(before.settledLater, after.settledLater),
    refills: after.refills - before.refills,
    refillFailures: after.refillFailures - before.refillFailures,
  };
}
