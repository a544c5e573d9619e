// The main thread's handle on a generator thread: one command at a time, progress as callbacks.
import { Worker } from "node:worker_threads";
import type { LoopProgress } from "./load-generator.ts";
import type {
  GeneratorCommand,
  GeneratorInit,
  GeneratorReply,
  GeneratorScenario,
  ProbeReply,
  StepReply,
} from "./generator.protocol.ts";

/** A running generator thread. */
export interface Generator {
  /** A closed loop of `concurrency` workers for `durationMs` (placement of the ladder, warm-up). */
  probe(
    scenario: GeneratorScenario,
    concurrency: number,
    durationMs: number,
    onProgress?: (p: LoopProgress) => void,
  ): Promise<ProbeReply>;
  /** One open-loop step at `rateRps`. */
  step(
    scenario: GeneratorScenario,
    options: { rateRps: number; durationMs: number; drainMs: number; maxPending: number },
    onProgress?: (p: LoopProgress) => void,
  ): Promise<StepReply>;
  /** Waits (up to `timeoutMs`) until no customer is busy; resolves to how many still are. */
  quiesce(timeoutMs: number): Promise<number>;
  /** Operations of `scenario` one at a time until three in a row answer within `fastMs`, for up to `timeoutMs`. */
  recover(scenario: GeneratorScenario, fastMs: number, timeoutMs: number): Promise<{ recovered: boolean }>;
  /** New bearer tokens for the customers, by email. */
  updateTokens(tokens: ReadonlyMap<string, string>): Promise<void>;
  /** Closes the pool and ends the thread. Idempotent. */
  close(): Promise<void>;
}

/** A command before it gets its id (distributes over the union, unlike a plain Omit). */
type Unsent<T> = T extends unknown ? Omit<T, "id"> : never;

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (p: LoopProgress) => void;
};

/** Starts a generator thread (generator.worker.ts) for `init`. */
export function startGenerator(init: GeneratorInit): Generator {
  const worker = new Worker(new URL("./generator.worker.ts", import.meta.url), { workerData: init });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed: Promise<void> | undefined;
  let failure: Error | undefined;

  worker.on("message", (reply: GeneratorReply) => {
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    if (reply.type === "progress") return waiter.onProgress?.(reply.progress);
    pending.delete(reply.id);
    if (reply.type === "done") waiter.resolve(reply.value);
    else waiter.reject(new Error(`generator: ${reply.message}`));
  });
  const failAll = (error: Error) => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on("error", (error: Error) => failAll(error));
  worker.on("exit", (code) => failAll(new Error(`generator thread exited (code ${code})`)));

  function send<T>(command: Unsent<GeneratorCommand>, onProgress?: (p: LoopProgress) => void): Promise<T> {
    if (failure !== undefined) return Promise.reject(failure);
    const id = nextId;
    nextId += 1;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (value) => resolve(value as T), reject, onProgress });
      worker.postMessage({ ...command, id });
    });
  }

  return {
    probe: (scenario, concurrency, durationMs, onProgress) =>
      send<ProbeReply>({ type: "probe", scenario, concurrency, durationMs }, onProgress),
    step: (scenario, options, onProgress) => send<StepReply>({ type: "step", scenario, ...options }, onProgress),
    quiesce: (timeoutMs) => send<number>({ type: "quiesce", timeoutMs }),
    recover: (scenario, fastMs, timeoutMs) =>
      send<{ recovered: boolean }>({ type: "recover", scenario, fastMs, timeoutMs }),
    async updateTokens(tokens) {
      await send<undefined>({ type: "tokens", tokens: [...tokens] });
    },
    close() {
      closed ??= (async () => {
        if (failure === undefined) await send<undefined>({ type: "close" }).catch(() => undefined);
        await worker.terminate();
      })();
      return closed;
    },
  };
}
