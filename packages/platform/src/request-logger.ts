// The per-request logger Souk's HTTP servers give Fastify: pino's child, made when first used.
import type { FastifyBaseLogger } from "fastify";
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString } from "pino";

/** What `DeferredChildLogger` needs of its parent: a pino logger (or a child of one). */
type ParentLogger = FastifyBaseLogger & { readonly isLevelEnabled?: (level: Level) => boolean };

/**
 * A child of a pino logger that is made only when something is logged through it. Fastify asks
 * for one child per request (`request.log`, bound to the request's `reqId`), and pino builds a
 * child at once: with redaction configured (`createLogger`), `child` runs every redaction path
 * over the new bindings (`redactPaths` of @pinojs/redact). That was ~10 % of all the bytes an
 * embedded product page allocated (V8's sampling heap profiler under a 3,000/s load: pino's child
 * 7.7 % + 1.2 % + 0.9 %), for a logger most requests never use — the access line has its own
 * logger (`createHttpServer`), and `request.log` serves error paths.
 *
 * It logs exactly as the child would (same bindings, redaction, mixin, level): the first call at
 * or above the parent's level makes the child (`parent.child(bindings, options)`) and every later
 * call goes to it; calls below the level return without making it. `child()` makes the child
 * first and returns its child. Setting `level` makes the child and sets its level.
 */
export class DeferredChildLogger implements FastifyBaseLogger {
  readonly #parent: ParentLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  /**
   * @param parent a pino logger or child (its `isLevelEnabled` decides what is written; a logger
   *   without one gets its child made on the first call at any level)
   * @param bindings the child's bindings, e.g. `{ reqId }`
   * @param options pino's child options, passed on unchanged
   */
  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions = {}) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  /** True once the pino child exists (something was logged through it). */
  get made(): boolean {
    return this.#child !== undefined;
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#made().level = level;
  }

  #made(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  /** The logger a call at `level` goes to, or undefined when nothing would be written. */
  #target(level: Level): FastifyBaseLogger | undefined {
    if (this.#child === undefined && this.#parent.isLevelEnabled?.(level) === false) return undefined;
    return this.#made();
  }

  fatal(...args: Parameters<FastifyBaseLogger["fatal"]>): void {
    this.#target("fatal")?.fatal(...args);
  }

  error(...args: Parameters<FastifyBaseLogger["error"]>): void {
    this.#target("error")?.error(...args);
  }

  warn(...args: Parameters<FastifyBaseLogger["warn"]>): void {
    this.#target("warn")?.warn(...args);
  }

  info(...args: Parameters<FastifyBaseLogger["info"]>): void {
    this.#target("info")?.info(...args);
  }

  debug(...args: Parameters<FastifyBaseLogger["debug"]>): void {
    this.#target("debug")?.debug(...args);
  }

  trace(...args: Parameters<FastifyBaseLogger["trace"]>): void {
    this.#target("trace")?.trace(...args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#made().child(bindings, options);
  }
}
