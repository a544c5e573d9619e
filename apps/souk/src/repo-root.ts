// Where the repository is, for the files Souk reads and writes beside its code (the backing
// services' state, the sources the store template's key hashes): found by walking up from the
// running module, so it holds both for the TypeScript sources (apps/souk/src/…) and for the
// bundle `npm start` runs (dist/souk/…).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The `name` in the root package.json of Souk's repository. */
const ROOT_PACKAGE_NAME = "souk";

/**
 * The nearest directory at or above `from` (a file or directory path) holding Souk's root
 * package.json (`"name": "souk"`, with workspaces).
 * @throws Error when no directory up to the file system's root holds it.
 */
export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown; workspaces?: unknown };
      if (parsed.name === ROOT_PACKAGE_NAME && Array.isArray(parsed.workspaces)) return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no Souk repository (package.json "${ROOT_PACKAGE_NAME}") above ${from}`);
  }
}

/** The repository root this code runs from. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
