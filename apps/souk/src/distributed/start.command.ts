import { parseArgs } from "node:util";
import { createLogger, exitGracefullyOnSignals, loadConfig } from "@souk/platform";
import { DEFAULT_GRPC_PORTS, DistributedConfig, isProcessName, PROCESS_NAMES, SERVICE_NAMES } from "./config.ts";
import { startService } from "./service.process.ts";
import { collectSettledGarbage, collectStartupGarbage } from "../startup-garbage.ts";

/** Help of `souk start <service>`. */
export const START_SERVICE_USAGE = `Usage: souk start <service>

Runs one process of the distributed topology (PostgreSQL per service, gRPC between them):
${SERVICE_NAMES.map((name) => `  ${name.padEnd(10)} gRPC on 127.0.0.1:${DEFAULT_GRPC_PORTS[name]} (GRPC_PORT), database <NAME>_DATABASE_URL`).join("\n")}
  gateway    the REST API on 127.0.0.1:8080 (PORT), calling every service over gRPC

Environment: SOUK_<NAME>_GRPC_URL (where each service answers), <NAME>_DATABASE_URL or DATABASE_URL
(default postgres://souk:souk@127.0.0.1:55432/<name>, what \`npm run services start\` runs), LOG_LEVEL,
SOUK_SHUTDOWN_TIMEOUT_MS, and the services' own variables. SIGTERM / SIGINT drain and stop it.`;

/**
 * `souk start <service>` (argv: the arguments after `start`): starts that process with
 * `startService`, collects the garbage of its start (`collectStartupGarbage`, and again once its
 * consumers have settled: `collectSettledGarbage`), then drains it on SIGTERM / SIGINT
 * (exitGracefullyOnSignals, bounded by SOUK_SHUTDOWN_TIMEOUT_MS). `--help` prints the usage; a
 * missing or unknown name prints it to stderr and sets exit code 2.
 *
 * @throws ConfigError naming every bad variable; startup errors of `startService`.
 */
export async function runStartCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help === true) {
    process.stdout.write(`${START_SERVICE_USAGE}\n`);
    return;
  }
  const name = positionals[0];
  if (name === undefined || positionals.length > 1 || !isProcessName(name)) {
    const problem = name === undefined ? "name a service" : `unknown service "${positionals.join(" ")}"`;
    process.stderr.write(`souk start: ${problem} (one of ${PROCESS_NAMES.join(", ")})\n\n${START_SERVICE_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig(DistributedConfig, process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, name: "souk" });
  const running = await startService(name, { logger });
  collectStartupGarbage();
  collectSettledGarbage();
  exitGracefullyOnSignals(logger.child({ service: name }), () => running.stop(), config.SOUK_SHUTDOWN_TIMEOUT_MS);
}
