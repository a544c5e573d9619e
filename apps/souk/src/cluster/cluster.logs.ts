// The history part of `npx souk logs`: the last lines of every process's log files, merged in
// time order, each prefixed by its process name. (pm2's own history view cuts long JSON lines
// and process names; its live stream, which follows this history, does neither.)
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Bytes read from the end of a file per wanted line (pino lines are a few hundred bytes). */
const BYTES_PER_LINE = 4096;

/** The last `count` complete lines of `path` and when it was last written ([] when it does not exist). */
async function lastLinesOf(path: string, count: number): Promise<{ lines: string[]; modifiedMs: number }> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return { lines: [], modifiedMs: 0 };
  }
  try {
    const { size, mtimeMs } = await handle.stat();
    const length = Math.min(size, count * BYTES_PER_LINE);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (length < size) lines.shift(); // the first one is cut
    return { lines: lines.filter((line) => line.trim() !== "").slice(-count), modifiedMs: mtimeMs };
  } finally {
    await handle.close();
  }
}

/** The `time` of a pino JSON line in ms since the epoch, or undefined for any other line. */
function timeOf(line: string): number | undefined {
  const match = /"time":(?:"([^"]+)"|(\d+))/.exec(line);
  if (match === null) return undefined;
  const time = match[1] !== undefined ? Date.parse(match[1]) : Number(match[2]);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * The last `count` lines written by the processes `names` (their `<name>.out.log` and
 * `<name>.error.log` in `logsDir`), oldest first, each as `<name> | <line>` with names padded
 * to one width. Lines are ordered by their pino `time`; a line without one (a stack trace, a
 * crash message) follows the line before it in the same file, or, when no line before it has a
 * time, is placed at the file's last write.
 */
export async function logHistory(logsDir: string, names: readonly string[], count: number): Promise<string[]> {
  const width = Math.max(0, ...names.map((name) => name.length));
  const entries: { time: number; order: number; text: string }[] = [];
  for (const name of names) {
    for (const kind of ["out", "error"]) {
      const { lines, modifiedMs } = await lastLinesOf(join(logsDir, `${name}.${kind}.log`), count);
      let time: number | undefined;
      for (const line of lines) {
        time = timeOf(line) ?? time;
        entries.push({ time: time ?? modifiedMs, order: entries.length, text: `${name.padEnd(width)} | ${line}` });
      }
    }
  }
  entries.sort((a, b) => a.time - b.time || a.order - b.order);
  return entries.slice(-count).map((entry) => entry.text);
}
