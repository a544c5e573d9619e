/**
 * Collects the garbage of a process's start — module loading, migrations, connection set-up —
 * with one synchronous last-resort major GC (V8's `CollectAllAvailableGarbage`, the collection it
 * runs on a low-memory notification): besides freeing the garbage it shrinks the young
 * generation back to its initial size (its semi-spaces grow to `--max-semi-space-size` while
 * modules load and otherwise stay committed), compacts the old generation and releases the page
 * pool. Measured on a gateway process: 140 → 115 MB RSS idle, in ~60 ms, once. Under load the
 * young generation grows again as it needs to.
 *
 * Needs Node's `--expose-gc` (NODE_ARGS, EMBEDDED_NODE_ARGS); without it, does nothing and returns false.
 *
 * @returns true when it collected.
 */
export function collectStartupGarbage(): boolean {
  const collect = globalThis.gc;
  if (collect === undefined) return false;
  collect({ type: "major", execution: "sync", flavor: "last-resort" });
  return true;
}

/**
 * How long after ready a cluster process collects its start's garbage a second time (ms): its
 * start goes on in the background after it is ready — the Kafka consumer groups join and the
 * RabbitMQ consumers subscribe ~1–2 s later here, and a group's rebalance can take several
 * seconds — and what that leaves behind sits in the old generation until a major GC, which an
 * idle process may not run for a long time. Measured on the whole cluster 40 s after `npm run up`
 * (one run each, VmRSS in MiB): payments 100.9 → 95.9 MiB, notifications 102.9 → 96.3 MiB, all
 * eleven 1,041 → 1,032 MiB.
 */
export const SETTLED_GARBAGE_DELAY_MS = 10_000;

/**
 * Runs `collect` (by default `collectStartupGarbage`) once, `delayMs` from now, on a timer that
 * does not keep the process alive.
 *
 * @param delayMs how long to wait (ms), SETTLED_GARBAGE_DELAY_MS by default
 * @returns the timer, for `clearTimeout` (a process stopping sooner needs nothing else)
 */
export function collectSettledGarbage(
  delayMs: number = SETTLED_GARBAGE_DELAY_MS,
  collect: () => unknown = collectStartupGarbage,
): NodeJS.Timeout {
  return setTimeout(collect, delayMs).unref();
}
