// Memory of a process from /proc/<pid>/status (Linux): resident set now and at its peak.
import { readFile } from "node:fs/promises";

/** A process's memory in bytes: `rss` now (VmRSS) and the peak since it started (VmHWM). */
export interface ProcessMemory {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

/**
 * Reads VmRSS and VmHWM (kB) from the text of /proc/<pid>/status.
 * @throws Error when either line is missing (not a Linux status file, or a zombie).
 */
export function parseProcStatus(text: string): ProcessMemory {
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    if (match?.[1] === undefined) throw new Error(`no ${field} in /proc status`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}

/** The memory of process `pid`, or undefined when it is gone. */
export async function readProcessMemory(pid: number): Promise<ProcessMemory | undefined> {
  try {
    return parseProcStatus(await readFile(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Bytes as MB (10^6), one decimal. */
export function megabytes(bytes: number): number {
  return Math.round(bytes / 100_000) / 10;
}
