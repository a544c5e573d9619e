import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs `body` in a fresh Node process after `absorbUncaughtSocketErrors()`; its exit code and output. */
const runGuarded = (body: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const script = `
      import { errors } from "undici";
      import { absorbUncaughtSocketErrors } from ${JSON.stringify(new URL("./uncaught-socket-errors.ts", import.meta.url).href)};
      const guard = absorbUncaughtSocketErrors();
      ${body}`;
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: new URL(".", import.meta.url).pathname },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
    );
  });

describe("absorbUncaughtSocketErrors", () => {
  it("keeps undici's uncaught SocketErrors from ending the process, and counts them", async () => {
    const run = await runGuarded(`
      setTimeout(() => { throw new errors.SocketError("other side closed"); });
      setTimeout(() => { throw new errors.SocketError("other side closed"); });
      setTimeout(() => console.log("still running, absorbed", guard.absorbed()), 50);`);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("still running, absorbed 2");
  });

  it("leaves every other uncaught exception fatal", async () => {
    const run = await runGuarded(`
      setTimeout(() => { throw new Error("boom"); });
      setTimeout(() => console.log("still running"), 50);`);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("boom");
  });
});
