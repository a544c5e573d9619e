import { AsyncLocalStorage } from "node:async_hooks";

/** Marks the asynchronous context of work nobody is waiting on: consumers, jobs, outbox relays. */
const backgroundContext = new AsyncLocalStorage<true>();

/**
 * Runs `work` as background work: everything it starts, awaits included (AsyncLocalStorage
 * follows promises and callbacks), reads `isBackgroundWork()` as true. Mark the work of event
 * consumers, job workers and outbox relays, whose latency no client sees, so a shared resource
 * can serve requests first (`ForegroundFirstLock`). Returns what `work` returns.
 */
export function runAsBackgroundWork<T>(work: () => T): T {
  return backgroundContext.run(true, work);
}

/** True inside `runAsBackgroundWork`. */
export function isBackgroundWork(): boolean {
  return backgroundContext.getStore() === true;
}

/** Options for `ForegroundFirstLock`. */
export interface ForegroundFirstLockOptions {
  /**
   * How long, in milliseconds, background work gives way: a background waiter is served as if it
   * had queued this much later than it did. Default 100.
   */
  readonly backgroundHandicapMs?: number;
  /** The current time in milliseconds (monotonic); default `performance.now`. */
  readonly now?: () => number;
}

interface Waiter {
  /** When it may be served, in `now()` milliseconds: its arrival, plus the handicap for background work. */
  readonly turn: number;
  readonly grant: (release: () => void) => void;
}

/**
 * A mutual-exclusion lock that serves its waiters in order of arrival, except that background
 * waiters count as having arrived `backgroundHandicapMs` later than they did: a request passes
 * consumers that queued less than that before it, and nobody starves (background work is
 * delayed by at most the handicap, against first come, first served). Two FIFO queues, one per
 * kind, so a hand-over compares their heads. It is the virtual-time form of priority scheduling
 * with aging (Silberschatz, Galvin & Gagne, "Operating System Concepts", chapter "CPU
 * Scheduling": aging against indefinite blocking): a fixed priority would let an unbroken
 * stream of requests keep consumers out, and a wait-based promotion would let a consumer pass
 * requests that had waited longer than it.
 */
export class ForegroundFirstLock {
  readonly #backgroundHandicapMs: number;
  readonly #now: () => number;
  readonly #foreground: Waiter[] = [];
  readonly #background: Waiter[] = [];
  #held = false;

  constructor(options: ForegroundFirstLockOptions = {}) {
    this.#backgroundHandicapMs = options.backgroundHandicapMs ?? 100;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Resolves with the function that releases the lock once it is held (a second call of that
   * function does nothing). `background` picks the queue: default, whether the caller runs in
   * `runAsBackgroundWork`.
   */
  acquire(background?: boolean): Promise<() => void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    // The mark is read only when the caller has to queue: a free lock (most statements) skips it.
    return new Promise((grant) => {
      if (background ?? isBackgroundWork()) {
        this.#background.push({ turn: this.#now() + this.#backgroundHandicapMs, grant });
      } else {
        this.#foreground.push({ turn: this.#now(), grant });
      }
    });
  }

  /** Waiters queued, by kind (for tests and metrics). */
  get waiting(): { readonly foreground: number; readonly background: number } {
    return { foreground: this.#foreground.length, background: this.#background.length };
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#handOver();
    };
  }

  /** Passes the lock to the waiter whose turn comes first (a request on a tie), or frees it. */
  #handOver(): void {
    const foreground = this.#foreground[0];
    const background = this.#background[0];
    const next =
      background !== undefined && (foreground === undefined || background.turn < foreground.turn)
        ? this.#background.shift()
        : this.#foreground.shift();
    if (next === undefined) {
      this.#held = false;
      return;
    }
    next.grant(this.#releaser());
  }
}
