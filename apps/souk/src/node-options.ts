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
 * (`collectStartupGarbage`: ~25 MB less RSS idle).
 */
export const NODE_ARGS: readonly string[] = ["--max-semi-space-size=8", "--expose-gc"];

/**
 * Node/V8 options of the embedded store: NODE_ARGS, and `--liftoff-only`, which keeps PGlite's
 * WebAssembly on V8's baseline compiler (Liftoff) instead of tiering hot functions up to the
 * optimizing one (TurboFan). One of PostgreSQL's functions (~105 KB of WebAssembly, hot from the
 * first queries) takes TurboFan ~1 s and ~600 MB of compiler memory (V8's
 * `--trace-wasm-compilation-times`): without the option the store peaked at ~785 MB RSS while
 * starting and idled at ~277 MB (glibc keeps part of the freed compiler memory); with it, peak
 * ~218 MB and idle ~212 MB (~191 MB after `collectStartupGarbage`). The price measured on the
 * embedded checkout: ~4 % more CPU per checkout (95–99 against 91–96 ms). V8 lists the flag as
 * "for testing"; it has been in V8 since Liftoff shipped and only chooses between two compilers.
 * `npm start` runs with the same options (package.json; a test keeps the two the same).
 */
export const EMBEDDED_NODE_ARGS: readonly string[] = [...NODE_ARGS, "--liftoff-only"];

/**
 * Node's module compile cache of every process (the default directory of `enableCompileCache`,
 * shared with `souk start`): set before start so that the entry file hits too, and a process
 * whose modules all hit never loads the type-stripping WASM (~11–14 MB less RSS each).
 */
export const NODE_COMPILE_CACHE = join(tmpdir(), "node-compile-cache");
