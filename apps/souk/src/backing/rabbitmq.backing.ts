// RabbitMQ: Debian's rabbitmq-server run directly (no systemd, not as the package's daemon):
// every file in <state>/rabbitmq and <state>/logs, AMQP, the Erlang distribution port and a
// private epmd all on 127.0.0.1 only.
import { randomBytes } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import { join } from "node:path";
import { LOOPBACK, RABBITMQ_PASSWORD, RABBITMQ_USER, RABBITMQ_VHOST, rabbitmqUrl } from "./backing.config.ts";
import { ServicesError, type BackingContext, type BackingService, type ServiceStatus } from "./backing-service.ts";
import {
  failureWithLog,
  isProcessAlive,
  readPidFile,
  requireFreePort,
  spawnDaemon,
  waitForDaemon,
  waitUntil,
} from "./process.runner.ts";

const NAME = "rabbitmq";
/**
 * Debian's real scripts. The /usr/sbin ones are wrappers that switch to the `rabbitmq` OS user,
 * cd to /var/lib/rabbitmq and send the server's output to /var/log/rabbitmq.
 */
const RABBITMQ_BIN = "/usr/lib/rabbitmq/bin";
/** The Erlang node name; `localhost` so no host name lookup is needed. */
const NODE_NAME = "souk@localhost";

/**
 * The RabbitMQ backing service. Local runtime: `rabbitmq-server` in the foreground as a daemon,
 * configured entirely through RABBITMQ_* variables and a rabbitmq.conf generated on every start;
 * the first boot creates the `souk` user (administrator) and the `souk` vhost, and no `guest`.
 * Ready once an AMQP connection to the vhost opens a channel. Stop is SIGTERM to the Erlang VM
 * (an orderly shutdown: queues and message stores closed), then the private epmd is stopped.
 */
export function rabbitmqService(ctx: BackingContext): BackingService {
  const { layout, config } = ctx;
  const port = config.SOUK_RABBITMQ_PORT;
  const distPort = config.SOUK_RABBITMQ_DIST_PORT;
  const epmdPort = config.SOUK_RABBITMQ_EPMD_PORT;
  const dir = layout.rabbitmq;
  const home = join(dir, "home");
  const configFile = join(dir, "rabbitmq.conf");
  const pidFile = join(dir, "rabbitmq.pid");
  const logFile = join(layout.logs, "rabbitmq.log");
  const timeoutMs = config.SOUK_SERVICES_TIMEOUT_MS;
  /** A virtual machine booting on a busy two-core machine may need more than the default minute. */
  const bootTimeoutMs = Math.max(timeoutMs, 120_000);
  const url = rabbitmqUrl(config);
  const server = join(RABBITMQ_BIN, "rabbitmq-server");
  /** The Erlang VM's command line carries `-home <HOME>`: ours is unique to this state directory. */
  const commandMark = `-home ${home}`;

  /**
   * The environment of the server (and of rabbitmqctl, for an operator: `HOME`, the node name
   * and the epmd variables are what it needs to find the node).
   */
  const env: Record<string, string> = {
    HOME: home, // .erlang.cookie lives here
    RABBITMQ_NODENAME: NODE_NAME,
    RABBITMQ_NODE_IP_ADDRESS: LOOPBACK,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    // The distribution listener binds 0.0.0.0 unless told otherwise.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    ERL_EPMD_ADDRESS: LOOPBACK,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
    // Not /etc/rabbitmq's files: those belong to the package's own daemon.
    RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_PID_FILE: pidFile,
    RABBITMQ_LOG_BASE: layout.logs,
    // "-": log to stdout, which goes to logs/rabbitmq.log (with anything the VM prints on a crash).
    RABBITMQ_LOGS: "-",
  };

  async function runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(pidFile);
    return pid !== undefined && (await isProcessAlive(pid, commandMark)) ? pid : undefined;
  }

  const probe = () => amqpAnswers(url);

  async function installed(): Promise<boolean> {
    try {
      await access(server);
      return true;
    } catch {
      return false; // the package is not installed
    }
  }

  /** Directories, the Erlang cookie (first start), and the config files. */
  async function prepareLocal(): Promise<void> {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "mnesia"), { recursive: true });
    await mkdir(layout.logs, { recursive: true });
    // The cookie authenticates rabbitmqctl to the node: random, readable by its owner only.
    const cookie = randomBytes(24).toString("hex").toUpperCase();
    await writeFile(join(home, ".erlang.cookie"), cookie, { mode: 0o400, flag: "wx" }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      },
    );
    await writeFile(join(dir, "rabbitmq-env.conf"), "# Empty: `npm run services` passes RABBITMQ_* variables.\n");
    await writeFile(join(dir, "enabled_plugins"), "[].\n");
    const settings = [
      "# Written by `npm run services` on every start: change SOUK_RABBITMQ_PORT / SOUK_SERVICES_DIR instead.",
      `listeners.tcp.default = ${LOOPBACK}:${port}`,
      // Applied by the first boot only (an empty database); later boots keep what it holds.
      `default_user = ${RABBITMQ_USER}`,
      `default_pass = ${RABBITMQ_PASSWORD}`,
      `default_vhost = ${RABBITMQ_VHOST}`,
      "default_user_tags.administrator = true",
      "default_permissions.configure = .*",
      "default_permissions.read = .*",
      "default_permissions.write = .*",
      "",
    ].join("\n");
    await writeFile(configFile, settings);
  }

  /** Stops the epmd our node registered with, unless another node still uses it. */
  async function stopEpmd(): Promise<void> {
    // The VM's registration ends when its connection to epmd closes: give epmd a moment to notice.
    await waitUntil(async () => ((await epmdNames(epmdPort)) ?? []).length === 0, 2000, 50);
    const names = await epmdNames(epmdPort);
    if (names !== undefined && names.length === 0) await epmdKill(epmdPort);
  }

  return {
    name: NAME,
    composeService: "rabbitmq",
    url,

    async missingPackages() {
      return (await installed()) ? [] : ["rabbitmq-server"];
    },

    async prepare() {
      // Nothing shared with the Compose runtime: there the data lives in a named volume.
    },

    async start() {
      if (!(await installed())) throw new ServicesError(NAME, `${server} not found (Debian package rabbitmq-server)`);
      if ((await runningPid()) !== undefined) {
        if (!(await waitUntil(probe, timeoutMs, 250))) {
          throw await failureWithLog(NAME, `running but no AMQP connection to ${LOOPBACK}:${port} opens`, logFile);
        }
        return "already running";
      }
      if (await probe()) {
        throw new ServicesError(
          NAME,
          `${LOOPBACK}:${port} already answers AMQP, but not from ${dir} (another server? set SOUK_RABBITMQ_PORT)`,
        );
      }
      await requireFreePort(NAME, port, "SOUK_RABBITMQ_PORT");
      await requireFreePort(NAME, distPort, "SOUK_RABBITMQ_DIST_PORT");
      const names = await epmdNames(epmdPort);
      // An epmd left by a node that was killed is reused; anything else on the port is a clash.
      if (names === undefined) await requireFreePort(NAME, epmdPort, "SOUK_RABBITMQ_EPMD_PORT");
      if (names?.includes(NODE_NAME.split("@")[0] ?? "")) {
        throw new ServicesError(
          NAME,
          `a node named ${NODE_NAME} is registered with the epmd on ${LOOPBACK}:${epmdPort}, but not from ${dir} ` +
            `(set SOUK_RABBITMQ_EPMD_PORT)`,
        );
      }
      await prepareLocal();
      await ctx.step(
        NAME,
        `rabbitmq-server on ${LOOPBACK}:${port} (node ${NODE_NAME}, epmd :${epmdPort})`,
        async () => {
          const pid = await spawnDaemon(NAME, server, [], { cwd: dir, env, logFile });
          // `pid` is the script; the Erlang VM writes its own pid to RABBITMQ_PID_FILE early on.
          const outcome = await waitForDaemon(pid, "rabbitmq-server", probe, bootTimeoutMs, 250);
          if (outcome === "exited")
            throw await failureWithLog(NAME, `rabbitmq-server (pid ${pid}) exited on start`, logFile);
          if (outcome === "timeout") {
            throw await failureWithLog(NAME, `started but no AMQP connection to ${LOOPBACK}:${port} opens`, logFile);
          }
        },
      );
      return "started";
    },

    async provision() {
      // Nothing to create: the first boot made the user and vhost (rabbitmq.conf's default_*).
    },

    async stop() {
      const pid = await runningPid();
      if (pid === undefined) {
        await stopEpmd();
        return "not running";
      }
      await ctx.step(NAME, "orderly shutdown (SIGTERM to the Erlang VM)", async () => {
        process.kill(pid, "SIGTERM");
        if (!(await waitUntil(async () => !(await isProcessAlive(pid, commandMark)), timeoutMs))) {
          throw await failureWithLog(NAME, `pid ${pid} still runs ${timeoutMs} ms after SIGTERM`, logFile);
        }
        await stopEpmd();
      });
      return "stopped";
    },

    async status(): Promise<ServiceStatus> {
      if (!(await installed())) return { up: false, detail: "not installed" };
      const pid = await runningPid();
      if (pid === undefined) return { up: false, detail: "not running" };
      return (await probe())
        ? { up: true, detail: `pid ${pid}; node ${NODE_NAME}; vhost ${RABBITMQ_VHOST}` }
        : { up: false, detail: `pid ${pid} runs but no AMQP connection opens (log: ${logFile})` };
    },

    probe,
  };
}

/**
 * Whether an AMQP 0-9-1 connection to `url` (credentials and vhost included) opens and a channel
 * opens on it, within about two seconds. Never rejects.
 */
export async function amqpAnswers(url: string): Promise<boolean> {
  // Loaded on first use: `services status` of the other services does not pay for the client.
  const amqp = await import("amqplib");
  let connection: import("amqplib").ChannelModel | undefined;
  try {
    connection = await amqp.connect(url, { timeout: 2000 });
    // A broker shutting down may close the connection under us: the failed call reports it.
    connection.on("error", () => {});
    const channel = await connection.createChannel();
    await channel.close();
    return true;
  } catch {
    return false; // refused, booting, or bad credentials: not ready
  } finally {
    await connection?.close().catch(() => {});
  }
}

/**
 * The node names registered with the epmd on loopback:`port` (its NAMES_REQ), or undefined when
 * no epmd answers there within a second. Never rejects.
 */
export function epmdNames(port: number): Promise<string[] | undefined> {
  return epmdRequest(port, 110 /* 'n' */).then((reply) => {
    // 4 bytes: epmd's own port; then one "name <name> at port <port>" line per node.
    if (reply === undefined || reply.length < 4) return undefined;
    return [
      ...reply
        .subarray(4)
        .toString("latin1")
        .matchAll(/^name (\S+) at port \d+$/gm),
    ].map((m) => m[1] ?? "");
  });
}

/** Asks the epmd on loopback:`port` to exit (KILL_REQ); true when it said OK. Never rejects. */
export async function epmdKill(port: number): Promise<boolean> {
  const reply = await epmdRequest(port, 107 /* 'k' */);
  return reply?.toString("latin1") === "OK";
}

/** One epmd request (a 2-byte length, then the one-byte request); resolves to the whole reply. */
function epmdRequest(port: number, request: number): Promise<Buffer | undefined> {
  return new Promise((resolvePromise) => {
    const socket = connectTcp({ host: LOOPBACK, port, timeout: 1000 });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (reply: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolvePromise(reply);
    };
    socket.on("connect", () => socket.write(Buffer.from([0, 1, request])));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => done(Buffer.concat(chunks)));
    socket.on("timeout", () => done(undefined));
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(chunks.length === 0 ? undefined : Buffer.concat(chunks)));
  });
}
