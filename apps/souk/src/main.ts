#!/usr/bin/env node
import { enableCompileCache, flushCompileCache } from "node:module";
import { parseArgs } from "node:util";

// Node's on-disk module compile cache (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache),
// enabled before anything else loads: the next start reuses each unchanged module's stripped
// TypeScript and V8 code cache, so it loads faster and never instantiates the type-stripping WASM
// (~15 MB per process; this entry file itself hits only when NODE_COMPILE_CACHE is set before
// start, as `souk up` does). Entries are keyed by content: an edited file is compiled afresh.
enableCompileCache();
const { ConfigError, createLogger, exitGracefullyOnSignals } = await import("@souk/platform");

const USAGE = `Souk — an online store backend

Usage:
  souk start            run the whole store embedded (PGlite, one process) on http://127.0.0.1:8080
  souk start <service>  run one process of the distributed topology
                        (identity|catalog|cart|inventory|payments|orders|notifications|analytics|gateway)
  souk up               the whole store as separate processes (pm2) behind NGINX on https://127.0.0.1:8443
  souk down             stop them (the backing services keep running)
  souk logs [service] [--lines N] [--no-follow]
                        every process's log in one place, prefixed by process
  souk shop [options]   drive a running store with a scripted crowd of customers (souk shop --help)
  souk services [start|stop|restart|status] [postgres|redis|nginx|kafka|rabbitmq]
                        PostgreSQL, Redis, NGINX, Kafka and RabbitMQ on loopback for the distributed topology
  souk help             this text

Environment (start): PORT, HOST, SOUK_DATA_DIR, LOG_LEVEL and the services' variables (see README).`;

async function start(): Promise<void> {
  // Imported here: the other commands (a distributed process, up, down…) never load the embedded store.
  const { startEmbedded } = await import("./embedded.ts");
  const souk = await startEmbedded();
  const logger = createLogger({ level: process.env["LOG_LEVEL"] ?? "info", name: "souk" });
  logger.info(
    { url: souk.baseUrl, startupMs: souk.startupMs },
    `Souk is ready on ${souk.baseUrl} — API docs: ${souk.baseUrl}/docs, try: curl '${souk.baseUrl}/v1/products?q=headphones'`,
  );
  exitGracefullyOnSignals(logger, () => souk.stop());
  // A parent that forked this process with an IPC channel (the bench) learns where it listens.
  process.send?.({ kind: "ready", baseUrl: souk.baseUrl, startupMs: souk.startupMs });
  // Run with EMBEDDED_NODE_ARGS (`npm start`), this frees the start's garbage: ~20 MB less RSS idle.
  const { collectStartupGarbage } = await import("./startup-garbage.ts");
  collectStartupGarbage();
}

async function shop(argv: string[]): Promise<void> {
  const { runShop, parseShopArgs, formatSummary, SHOP_USAGE } = await import("./shop/shop.ts");
  const options = parseShopArgs(argv);
  if (options.help) {
    process.stdout.write(`${SHOP_USAGE}\n`);
    return;
  }
  const summary = await runShop(options, { log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${formatSummary(summary)}\n`);
  // A crowd that hit server errors or broken journeys is a failed run (useful in CI smoke tests).
  if (summary.failedCustomers > 0 || summary.serverErrors.count > 0) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv.slice(0, 1), allowPositionals: true, strict: false });
  const command = positionals[0] ?? "help";
  switch (command) {
    case "start":
      if (argv[1] === undefined) return start();
      return (await import("./distributed/start.command.ts")).runStartCommand(argv.slice(1));
    case "shop":
      return shop(argv.slice(1));
    case "up":
    case "down":
    case "logs": {
      const cluster = await import("./cluster/cluster.command.ts");
      const run = { up: cluster.runUpCommand, down: cluster.runDownCommand, logs: cluster.runLogsCommand }[command];
      process.exitCode = await run(argv.slice(1), { log: (line) => process.stdout.write(`${line}\n`) });
      return;
    }
    case "services": {
      const { runServicesCommand } = await import("./backing/services.command.ts");
      process.exitCode = await runServicesCommand(argv.slice(1), { log: (line) => process.stdout.write(`${line}\n`) });
      return;
    }
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

try {
  await main(process.argv.slice(2));
  // Written now rather than at exit: a service runs for days, and a killed one never writes it.
  flushCompileCache();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`souk: ${error.message}\n`);
  } else {
    process.stderr.write(`souk: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}
