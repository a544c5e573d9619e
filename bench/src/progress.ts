// The progress display on stderr: a status line redrawn in place on a terminal (one line per
// event otherwise, so CI logs stay readable), with the time since the run started.

/** Where the run reports what it is doing. */
export interface Progress {
  /** A line that stays (a phase started, a step ended). */
  log(line: string): void;
  /** The live status (redrawn in place on a terminal; dropped elsewhere). */
  status(line: string): void;
  /** Clears the status line. */
  done(): void;
}

/** A progress display on `stream` (stderr); `nowMs` is monotonic milliseconds. */
export function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  nowMs: () => number = () => performance.now(),
): Progress {
  const startedMs = nowMs();
  const live = stream.isTTY === true;
  let shown = "";
  const stamp = () => formatElapsed(nowMs() - startedMs);
  const clear = () => {
    if (live && shown !== "") stream.write("\r\x1b[2K");
  };
  return {
    log(line) {
      clear();
      stream.write(`[${stamp()}] ${line}\n`);
      if (live && shown !== "") stream.write(shown);
    },
    status(line) {
      if (!live) return;
      const width = Math.max(20, (stream.columns ?? 120) - 1);
      shown = `[${stamp()}] ${line}`.slice(0, width);
      stream.write(`\r\x1b[2K${shown}`);
    },
    done() {
      clear();
      shown = "";
    },
  };
}

/** `m:ss` of a duration in milliseconds. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
