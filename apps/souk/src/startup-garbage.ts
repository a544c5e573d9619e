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
