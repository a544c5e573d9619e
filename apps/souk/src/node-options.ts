// The Node/V8 options Souk's processes run with: every process of the cluster (`npm run up`),
// and the embedded store (`npm start`, the bench's embedded process). Pure constants, no I/O.
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Node/V8 options of every process. `--max-semi-space-size=8` (MB) bounds V8's young generation:
 * by default it grows to 64 MB per semi-space while modules load and stays committed, ~30 MB of
 * each idle process's RSS (measured: 196 → 165 MB idle, and ~60–100 MB less under load), for no
 * measurable CPU cost per request (gateway + catalog + inventory under a search load).
 * `--expose-gc` lets a process collect the garbage of its start once it is ready
 * (`collectStartupGarbage`: ~25 MB less RSS idle). `--no-sparkplug` turns off V8's baseline
 * compiler (Sparkplug), the tier between the interpreter and the optimizing compilers (Maglev,
 * TurboFan): its machine code for the code a process runs at start stays resident. Measured on
 * the whole cluster 40 s after `npm run up`: 1,062 → 1,045 MiB over the eleven processes (gateway
 * 102.9 → 100.4 MiB) and `up` no slower (7.3 / 7.1 s). Its cost at run time measured nothing: the
 * embedded store's CPU per product page at 3,000/s, four alternating runs each, 6.11 against 6.18 s
 * per 36,000 requests (±7 % between runs) — the hot request path is optimized by Maglev and
 * TurboFan either way.
 */
export const NODE_ARGS: readonly string[] = ["--max-semi-space-size=8", "--expose-gc", "--no-sparkplug"];

/**
 * Node/V8 options of the embedded store: `--expose-gc` as NODE_ARGS, young-generation semi-spaces
 * of 4 MB instead of 8, and `--liftoff-only`, which keeps PGlite's WebAssembly on V8's baseline
 * compiler (Liftoff) instead of tiering hot functions up to the optimizing one (TurboFan).
 *
 * - `--liftoff-only`: one of PostgreSQL's functions (~105 KB of WebAssembly, hot from the first
 *   queries) takes TurboFan ~1 s and ~600 MB of compiler memory (V8's
 *   `--trace-wasm-compilation-times`): without the option the store peaked at ~785 MB RSS while
 *   starting and idled at ~277 MB (glibc keeps part of the freed compiler memory); with it, peak
 *   ~218 MB and idle ~212 MB (~191 MB after `collectStartupGarbage`). The price measured on the
 *   embedded checkout: ~4 % more CPU per checkout (95–99 against 91–96 ms). V8 lists the flag as
 *   "for testing"; it has been in V8 since Liftoff shipped and only chooses between two compilers.
 * - `--max-semi-space-size=4` (MB): the store is one process under the whole load, and its young
 *   generation stays at its largest once grown (two semi-spaces: 16.8 MB resident at 8 MB, 8.4 MB
 *   at 4). Embedded bench runs on one machine, 8 against 4: peak 331.6 against 321.8 MB; product
 *   15,412 / 15,374/s, search 10,557 / 11,606/s, checkout 31.6 / 31.4/s (no measurable cost).
 *
 * `npm start` runs with the same options and `MALLOC_ENV` (package.json; a test keeps the two the same).
 */
export const EMBEDDED_NODE_ARGS: readonly string[] = ["--max-semi-space-size=4", "--expose-gc", "--liftoff-only"];

/**
 * glibc malloc tuning of every process, the cluster's and the embedded store (environment
 * variables read at process start; see mallopt(3)): two arenas instead of one per thread
 * (8 × cores; Node runs ~10 threads), and free memory at the top of the heap returned to the
 * system above 128 KiB instead of a threshold that grows with the largest block freed (up to
 * 64 MiB). ~5 MB less RSS per idle cluster process, measured on the gateway. In the embedded
 * store under the bench's whole load: the main heap 36 → 21 MB and the thread arenas ~13 MB
 * smaller; peak RSS 321.8 → 298.8 MB (with the 4 MB semi-spaces above), product 15,374 /
 * 15,942/s, search 11,606 / 9,991/s, checkout 31.4 / 29.6/s (one run each; the search ladder
 * spreads ±8 % between identical runs).
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_TRIM_THRESHOLD_: "131072",
};

/**
 * Node's module compile cache of every process (the default directory of `enableCompileCache`,
 * shared with `souk start`): set before start so that the entry file hits too, and a process
 * whose modules all hit never loads the type-stripping WASM (~11–14 MB less RSS each).
 */
export const NODE_COMPILE_CACHE = join(tmpdir(), "node-compile-cache");
