// NGINX: the front door of the local distributed topology. Its main config (from
// deploy/nginx/nginx.conf.template) keeps every file in <state>/nginx and <state>/logs, and
// includes <state>/nginx/conf.d/*.conf, where a health server answers /healthz and the launcher
// drops its upstreams.
import { request } from "node:http";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LOOPBACK } from "./backing.config.ts";
import { ServicesError, type BackingContext, type BackingService, type ServiceStatus } from "./backing-service.ts";
import {
  failureWithLog,
  findExecutable,
  isProcessAlive,
  readPidFile,
  requireFreePort,
  runChecked,
  waitUntil,
} from "./process.runner.ts";

const NAME = "nginx";
/** Sorted first in conf.d, so it is the default server of its port. */
const HEALTH_CONF = "00-health.conf";

/**
 * The NGINX backing service. Local runtime: `nginx -t`, then `nginx -p <state>/nginx/ -e … -c
 * <state>/nginx/nginx.conf` (daemonized master + workers); stop is a graceful quit (SIGQUIT).
 */
export function nginxService(ctx: BackingContext): BackingService {
  const { layout, config } = ctx;
  const port = config.SOUK_NGINX_PORT;
  const errorLog = join(layout.logs, "nginx-error.log");
  const timeoutMs = config.SOUK_SERVICES_TIMEOUT_MS;
  const healthUrl = `http://${LOOPBACK}:${port}/healthz`;

  async function runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(join(layout.nginx, "nginx.pid"));
    return pid !== undefined && (await isProcessAlive(pid, "nginx: master")) ? pid : undefined;
  }

  async function binary(): Promise<string> {
    const path = await findExecutable("nginx");
    if (path === undefined) throw new ServicesError(NAME, "nginx not found (Debian package nginx)");
    return path;
  }

  async function prepare(): Promise<void> {
    await mkdir(join(layout.nginx, "temp"), { recursive: true });
    await mkdir(layout.nginxConfD, { recursive: true });
    await mkdir(layout.logs, { recursive: true });
    const templates = join(ctx.repoRoot, "deploy", "nginx");
    const main = renderTemplate(await readFile(join(templates, "nginx.conf.template"), "utf8"), {
      NGINX_DIR: layout.nginx,
      LOGS_DIR: layout.logs,
    });
    const health = renderTemplate(await readFile(join(templates, "health.conf.template"), "utf8"), {
      HOST: LOOPBACK,
      PORT: String(port),
    });
    await writeFile(join(layout.nginx, "nginx.conf"), main);
    await writeFile(join(layout.nginxConfD, HEALTH_CONF), health);
  }

  const probe = () => httpOk(healthUrl);

  return {
    name: NAME,
    composeService: "nginx",
    url: `http://${LOOPBACK}:${port}`,

    async missingPackages() {
      const missing: string[] = [];
      if ((await findExecutable("nginx")) === undefined) missing.push("nginx");
      // openssl makes the TLS material of the edge (certificates for NGINX); installed with it.
      if ((await findExecutable("openssl")) === undefined) missing.push("openssl");
      return missing;
    },

    prepare,

    async start() {
      const nginx = await binary();
      if ((await runningPid()) !== undefined) {
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `running but ${healthUrl} does not answer 200`, errorLog);
        }
        return "already running";
      }
      if (await probe()) {
        throw new ServicesError(
          NAME,
          `${healthUrl} already answers, but not from ${layout.nginx} (set SOUK_NGINX_PORT)`,
        );
      }
      await requireFreePort(NAME, port, "SOUK_NGINX_PORT");
      await prepare();
      await ctx.step(NAME, `nginx on ${LOOPBACK}:${port}`, async () => {
        await runChecked(NAME, "nginx -t (config test)", nginx, ["-t", "-q", ...nginxArgs(ctx)], {
          timeoutMs,
          logFile: errorLog,
        });
        await runChecked(NAME, "nginx", nginx, nginxArgs(ctx), { timeoutMs, logFile: errorLog });
        if (!(await waitUntil(probe, timeoutMs))) {
          throw await failureWithLog(NAME, `started but ${healthUrl} does not answer 200`, errorLog);
        }
      });
      return "started";
    },

    async provision() {
      // Nothing to create: upstreams are the launcher's (conf.d + reloadNginx).
    },

    async stop() {
      const pid = await runningPid();
      if (pid === undefined) return "not running";
      // SIGQUIT is what `nginx -s quit` sends (graceful: workers finish their requests), but that
      // command first parses the whole config to find the pid file: a broken conf.d would block stopping.
      await ctx.step(NAME, "quit (SIGQUIT to the master)", async () => {
        process.kill(pid, "SIGQUIT");
        if (!(await waitUntil(async () => !(await isProcessAlive(pid, "nginx: master")), timeoutMs))) {
          throw await failureWithLog(NAME, `master pid ${pid} still runs ${timeoutMs} ms after quit`, errorLog);
        }
      });
      return "stopped";
    },

    async status(): Promise<ServiceStatus> {
      if ((await findExecutable("nginx")) === undefined) return { up: false, detail: "not installed" };
      const pid = await runningPid();
      if (pid === undefined) return { up: false, detail: "not running" };
      return (await probe())
        ? { up: true, detail: `master pid ${pid}; conf.d ${layout.nginxConfD}` }
        : { up: false, detail: `master pid ${pid} runs but ${healthUrl} does not answer 200 (log: ${errorLog})` };
    },

    probe,
  };
}

/**
 * Tests the config (including every conf.d file) and, when it is valid, makes the running NGINX
 * of this state directory reload it (`nginx -s reload`: new workers, no dropped connections).
 * For the launcher, after it writes upstream configs into `<state>/nginx/conf.d`. Local runtime.
 *
 * @throws ServicesError when the config is invalid (with NGINX's message) or NGINX is not running.
 */
export async function reloadNginx(ctx: BackingContext): Promise<void> {
  const nginx = await findExecutable("nginx");
  if (nginx === undefined) throw new ServicesError(NAME, "nginx not found (Debian package nginx)");
  const options = { timeoutMs: ctx.config.SOUK_SERVICES_TIMEOUT_MS, logFile: join(ctx.layout.logs, "nginx-error.log") };
  await runChecked(NAME, "nginx -t (config test)", nginx, ["-t", "-q", ...nginxArgs(ctx)], options);
  // `-s reload` only signals the master, which applies the config afterwards: once it has (new
  // listeners open), it starts new workers. Resolve then, so a caller's next request sees the config.
  const master = await readPidFile(join(ctx.layout.nginx, "nginx.pid"));
  const before = master === undefined ? [] : await childPids(master);
  await runChecked(NAME, "nginx -s reload", nginx, [...nginxArgs(ctx), "-s", "reload"], options);
  if (master === undefined) return;
  const applied = await waitUntil(
    async () => (await childPids(master)).some((pid) => !before.includes(pid)),
    options.timeoutMs,
    50,
  );
  if (!applied) {
    throw await failureWithLog(NAME, `master pid ${master} started no new workers after reload`, options.logFile);
  }
}

/** The pids of the processes whose parent is `parent` (from /proc; [] where there is none). */
async function childPids(parent: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return []; // no /proc: not Linux
  }
  const children = await Promise.all(
    entries.map(async (entry) => {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
      const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? "", 10);
      return ppid === parent ? Number.parseInt(entry, 10) : undefined;
    }),
  );
  return children.filter((pid): pid is number => pid !== undefined);
}

/** Prefix, startup error log and main config: every nginx invocation of one state directory. */
function nginxArgs(ctx: BackingContext): string[] {
  return [
    "-p",
    `${ctx.layout.nginx}/`,
    "-e",
    join(ctx.layout.logs, "nginx-error.log"),
    "-c",
    join(ctx.layout.nginx, "nginx.conf"),
  ];
}

/**
 * Fills `{{NAME}}` placeholders in a template from deploy/.
 *
 * @throws Error naming a placeholder without a value (a template and its caller out of step).
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replaceAll(/\{\{([A-Z_]+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return value;
  });
}

/** Whether a GET of `url` answers 200 within one second, on a fresh connection. Never rejects. */
function httpOk(url: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const req = request(url, { method: "GET", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolvePromise(res.statusCode === 200));
      res.on("error", () => resolvePromise(false));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolvePromise(false));
    req.end();
  });
}
