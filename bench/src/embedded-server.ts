// The embedded store in a process of its own, so the bench can measure its memory and readiness:
// startEmbedded (apps/souk/src/embedded.ts) on PORT/SOUK_DATA_DIR from the environment, then
// `{ kind: "ready", baseUrl, startupMs }` to the parent over IPC. SIGTERM stops it gracefully.
import { createLogger, exitGracefullyOnSignals } from "@souk/platform";
import { startEmbedded } from "../../apps/souk/src/embedded.ts";

const souk = await startEmbedded();
process.send?.({ kind: "ready", baseUrl: souk.baseUrl, startupMs: souk.startupMs });
exitGracefullyOnSignals(createLogger({ level: process.env["LOG_LEVEL"] ?? "info", name: "souk-bench" }), () =>
  souk.stop(),
);
