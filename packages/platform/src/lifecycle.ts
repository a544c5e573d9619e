import closeWithGrace from "close-with-grace";
import type { Logger } from "./log.ts";

/**
 * What every composed service exposes to the launcher: the handlers it serves and its
 * lifecycle. `start` runs background work (recovery loops, sweepers); `stop` ends it and
 * waits for work in flight. Neither throws for a second call.
 */
export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `shutdown` once on SIGTERM, SIGINT or an uncaught error, then exits
 * (close-with-grace). A shutdown that takes longer than `timeoutMs` is abandoned and the
 * process exits non-zero.
 */
export function exitGracefullyOnSignals(logger: Logger, shutdown: () => Promise<void>, timeoutMs = 10_000): void {
  closeWithGrace({ delay: timeoutMs }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, "fatal error, shutting down");
    else logger.info({ signal }, "signal received, draining");
    await shutdown();
    logger.info("stopped cleanly");
  });
}

/**
 * Runs `task` every `intervalMs` until stopped, one run at a time, logging (never throwing)
 * a failed run. `stop()` waits for the run in progress. Used for recovery loops and sweepers.
 */
export function every(intervalMs: number, task: () => Promise<void>, logger: Logger, name: string): Lifecycle {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const tick = (): void => {
    running = task()
      .catch((error: unknown) => logger.error({ err: error, task: name }, "background task failed"))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Keeps track of background promises (work started by a request that outlives it, such as a
 * saga continuing after the HTTP answer). Failures are logged, never unhandled; `drain()`
 * waits for everything still running (graceful shutdown).
 */
export interface Supervisor {
  /** Hands `task` to the supervisor; returns the same promise for callers that want to await it too. */
  run<T>(name: string, task: Promise<T>): Promise<T | undefined>;
  /** Resolves when every task handed over so far has settled. */
  drain(): Promise<void>;
}

/** Creates a supervisor that logs failed tasks through `logger`. */
export function createSupervisor(logger: Logger): Supervisor {
  const running = new Set<Promise<unknown>>();
  return {
    run(name, task) {
      const tracked = task.catch((error: unknown) => {
        logger.error({ err: error, task: name }, "background task failed");
        return undefined;
      });
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
      return tracked;
    },
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
