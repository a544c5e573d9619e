// The install step of the local runtime: Debian packages from the machine's apt sources only.
import { appendFile, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ServicesError, type BackingContext } from "./backing-service.ts";
import { lastLines, run } from "./process.runner.ts";

/**
 * Package scripts start the daemons they install (nginx on :80, redis on :6379, a PostgreSQL
 * cluster on :5432) through invoke-rc.d, which asks this file first; exit code 101 means
 * "action forbidden". `start` runs its own daemons on loopback, so during the install the system
 * ones stay down. The marker lets a later run remove a copy left by a killed run.
 */
const POLICY_RC_D = "/usr/sbin/policy-rc.d";
const POLICY_MARKER = "# written by souk `npm run services` during apt-get install";

const APT_TIMEOUT_MS = 20 * 60_000;

/**
 * Installs `packages` with `apt-get update && apt-get install -y --no-install-recommends`,
 * without starting their system daemons. Output goes to `<state>/logs/apt.log`. Waits for
 * another apt run's lock rather than failing.
 *
 * @throws ServicesError when not root (with the command to run) or when apt-get fails.
 */
export async function installDebianPackages(ctx: BackingContext, packages: readonly string[]): Promise<void> {
  if (packages.length === 0) return;
  if (!ctx.isRoot) {
    throw new ServicesError(
      "install",
      `missing ${packages.join(", ")}; run as root, or install them first: ` +
        `sudo apt-get install -y --no-install-recommends ${packages.join(" ")}`,
    );
  }
  const logFile = join(ctx.layout.logs, "apt.log");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const lockWait = ["-o", "DPkg::Lock::Timeout=600"];
  const ownPolicy = await forbidDaemonStarts();
  try {
    for (const [label, args] of [
      ["apt-get update", [...lockWait, "update"]],
      ["apt-get install", [...lockWait, "install", "-y", "--no-install-recommends", ...packages]],
    ] as const) {
      await ctx.step("install", label === "apt-get install" ? `${label} ${packages.join(" ")}` : label, async () => {
        const result = await run("apt-get", args, { timeoutMs: APT_TIMEOUT_MS, env }).catch((error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          throw new ServicesError("install", `cannot run apt-get (${why}): install ${packages.join(" ")} yourself`);
        });
        await appendFile(logFile, `$ apt-get ${args.join(" ")}\n${result.stdout}${result.stderr}\n`);
        if (result.code !== 0) {
          const status = result.timedOut ? `timed out after ${APT_TIMEOUT_MS} ms` : `exit code ${result.code}`;
          throw new ServicesError("install", `${label} failed (${status}):\n${lastLines(result.stderr, 8)}`, logFile);
        }
      });
    }
  } finally {
    if (ownPolicy) await rm(POLICY_RC_D, { force: true });
  }
}

/** Writes our policy-rc.d unless the machine has its own; true when the file is ours to remove. */
async function forbidDaemonStarts(): Promise<boolean> {
  let existing: string | undefined;
  try {
    existing = await readFile(POLICY_RC_D, "utf8");
  } catch {
    existing = undefined; // the usual case: no policy on this machine
  }
  if (existing !== undefined && !existing.includes(POLICY_MARKER)) return false;
  await writeFile(POLICY_RC_D, `#!/bin/sh\n${POLICY_MARKER}\nexit 101\n`, { mode: 0o755 });
  return true;
}
