// Leftovers of other builds and code versions (bundle chunks, store templates) are kept for a
// while, because a process started from them may still read them, then deleted.
import { readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Deletes the entries of `directory` (files, or directories with their contents) that
 * `isCandidate(name)` picks and that were last modified `maxAgeMs` or more ago. An entry that
 * vanishes meanwhile is skipped.
 * @throws Error from the file system (e.g. `directory` unreadable).
 */
export async function removeStaleEntries(
  directory: string,
  maxAgeMs: number,
  isCandidate: (name: string) => boolean,
): Promise<void> {
  const now = Date.now();
  for (const name of readdirSync(directory)) {
    if (!isCandidate(name)) continue;
    const path = join(directory, name);
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (modified !== undefined && now - modified >= maxAgeMs) await rm(path, { recursive: true, force: true });
  }
}
