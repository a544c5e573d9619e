import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { Logger } from "./log.ts";

export type { Redis } from "ioredis";

/** Tuning of `openRedis`; every field has a default suited to a store on the same network. */
export interface RedisClientOptions {
  /** Longest wait for a TCP connection to be established, in milliseconds (default 2,000). */
  readonly connectTimeoutMs?: number;
  /**
   * Longest wait for a command's reply, in milliseconds (default 2,000): a server that accepts
   * connections but stops answering fails the call instead of hanging it.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Prepended by the client to every key it sends (ioredis `keyPrefix`), so several
   * deployments — or test runs — can share one server. Not applied to KEYS/SCAN patterns.
   */
  readonly keyPrefix?: string;
  /** `CLIENT SETNAME` of the connection, shown by `CLIENT LIST` (default `souk`). */
  readonly connectionName?: string;
}

let ioredisModule: typeof import("ioredis") | undefined;

/**
 * ioredis (a CommonJS package), required on first use: a process that never opens Redis
 * (most services of the distributed topology) does not load it.
 */
function ioredis(): typeof import("ioredis") {
  return (ioredisModule ??= createRequire(import.meta.url)("ioredis") as typeof import("ioredis"));
}

/** ioredis's ReplyError (a reply starting with `-`, e.g. `-WRONGTYPE …`), which it types as `any`. */
const RedisReplyError = () => ioredis().ReplyError as typeof Error;

/** Reconnection delay after the `times`-th failed attempt: 50 ms doubling to 2 s, plus up to 20 % jitter. */
function reconnectDelayMs(times: number): number {
  const base = Math.min(50 * 2 ** Math.min(times, 10), 2_000);
  return Math.round(base * (1 + Math.random() * 0.2));
}

/** `redis://user:secret@host:6379/2` → `redis://host:6379/2`: no credential reaches a log line. */
function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(unparsable redis url)";
  }
}

/**
 * Opens an ioredis client to `url` (`redis://[user:password@]host:port[/db]`, or `rediss://`
 * for TLS) tuned to fail fast rather than queue: while the server is unreachable every command
 * rejects at once (no offline queue; one retry of a command caught by a dropped connection),
 * so a caller can answer `unavailable` or fall back instead of hanging. The client connects at
 * once (not lazily) and reconnects in the background forever (50 ms doubling to 2 s, jittered).
 *
 * Connection state changes are logged once each — `redis connected`, `redis unavailable`
 * (warn, with the first error), `redis reconnected` — never once per failed retry. The URL is
 * logged without its credentials.
 *
 * Commands sent before the first connection is ready fail too: await `waitForRedis` at startup.
 * Close the client with `closeRedis`.
 */
export function openRedis(url: string, logger: Logger, options: RedisClientOptions = {}): Redis {
  const redis = new (ioredis().Redis)(url, {
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: reconnectDelayMs,
    connectionName: options.connectionName ?? "souk",
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
  });
  const log = logger.child({ redis: loggableUrl(url) });
  let state: "connecting" | "up" | "down" = "connecting";
  redis.on("ready", () => {
    log.info(state === "down" ? "redis reconnected" : "redis connected");
    state = "up";
  });
  // ioredis emits `error` for every failed reconnection attempt: log the first of an outage only.
  redis.on("error", (error: unknown) => {
    if (state === "down") return;
    log.warn({ err: error }, "redis unavailable; its commands fail until it reconnects");
    state = "down";
  });
  redis.on("close", () => {
    if (state !== "up" || redis.status === "end") return;
    log.warn("redis connection lost; reconnecting");
    state = "down";
  });
  return redis;
}

/**
 * Resolves when `redis` is connected and ready for commands (at once when it already is).
 * @throws Error naming the server when it is not ready within `timeoutMs` (default 5,000),
 *   e.g. at startup when Redis is not running.
 */
export async function waitForRedis(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === "ready") return;
  const { host, port } = redis.options;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`Redis at ${host ?? "?"}:${port ?? "?"} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    redis.once("ready", onReady);
  });
}

/**
 * Closes `redis`: QUIT (the server answers pending commands first), bounded by `timeoutMs`
 * (default 2,000); a client that cannot quit in time — or at all, because the server is
 * down — is disconnected. Stops reconnecting either way. Never throws; a second call is a no-op.
 */
export async function closeRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status === "end") return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // QUIT cannot be sent while disconnected: nothing is pending, so disconnecting loses nothing.
  } finally {
    clearTimeout(timer);
    redis.disconnect(false);
  }
}

/**
 * True when a failed Redis call failed because the server could not be reached or could not
 * serve it: connection refused or lost, command timeout, no connection (offline queue off), or
 * a server reply saying it cannot serve now (LOADING, BUSY, READONLY, MASTERDOWN, TRYAGAIN,
 * CLUSTERDOWN). False for other server replies (WRONGTYPE, a script error) and for a TypeError
 * or RangeError (a bad argument): those are bugs, not outages.
 */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof TypeError || error instanceof RangeError) return false;
  if (error instanceof RedisReplyError()) {
    return /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/.test(error.message);
  }
  return true;
}

/** A Lua script run by its SHA-1 (EVALSHA), loaded on first use. */
export interface RedisScript {
  /**
   * Runs the script with `keys` (KEYS[1..n]; the client's key prefix applies) and `args`
   * (ARGV[1..m]). Sends only the SHA-1 once the server knows the script; on NOSCRIPT (first
   * use, server restart, SCRIPT FLUSH) it sends the body with EVAL, which also caches it.
   * @returns the script's reply as ioredis decodes it.
   * @throws what the call throws (see `isRedisUnavailableError`).
   */
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * Wraps a Lua script for `EVALSHA` with the `EVAL` fallback. Scripts run atomically on the
 * server (nothing else runs meanwhile), which is what makes read-check-write sequences safe.
 */
export function redisScript(lua: string): RedisScript {
  const sha = createHash("sha1").update(lua).digest("hex");
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof RedisReplyError()) || !error.message.startsWith("NOSCRIPT")) throw error;
        return redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
  };
}
