import { randomBytes } from "node:crypto";
import { hash, parseOptions, verify, type Algorithm, type Version } from "@node-rs/argon2";
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

/**
 * The password hasher port on argon2id (@node-rs/argon2: native, runs on libuv's thread pool,
 * so hashing never blocks the event loop). Computes, once, a dummy hash with the same
 * parameters that `verify(undefined, …)` checks against, so a login for an unknown email
 * costs as much as one with a wrong password.
 */
export async function createPasswordHasher(): Promise<PasswordHasher> {
  const hashPassword = (password: string) => hash(password, ARGON2ID_PARAMETERS);
  const dummyHash = await hashPassword(randomBytes(32).toString("base64url"));
  return {
    hash: hashPassword,
    async verify(encoded, password) {
      const matches = await verify(encoded ?? dummyHash, password);
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
  };
}
