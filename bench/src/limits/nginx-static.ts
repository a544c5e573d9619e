// The HTTP limit: a temporary NGINX on loopback serving one static file of a product response's
// size, over plain HTTP and (when the cluster's development certificate exists) over TLS. The
// same generator drives it as drives Souk, so the ratio compares like with like.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findExecutable } from "../programs.ts";

/** The path the file is served at. */
export const STATIC_PATH = "/product.json";

/** A running temporary NGINX. */
export interface StaticNginx {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly httpOrigin: string;
  /** e.g. `https://127.0.0.1:40124` (only with a certificate). */
  readonly httpsOrigin?: string;
  readonly bytes: number;
  /** Graceful quit, then removes its directory. */
  stop(): Promise<void>;
}

/** A TLS certificate and key (PEM files), e.g. the cluster's development certificate. */
export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * A JSON document of exactly `bytes` bytes (at least 8), like a product response: an object
 * whose one string is padded to the size.
 */
export function staticBody(bytes: number): string {
  const prefix = '{"pad":"';
  const suffix = '"}';
  const fill = Math.max(0, bytes - prefix.length - suffix.length);
  return `${prefix}${"x".repeat(fill)}${suffix}`;
}

/**
 * NGINX's config for the temporary server: as the backing NGINX's (worker_processes auto,
 * sendfile), without an access log, with keep-alive connections that last the whole run.
 */
export function staticNginxConfig(options: {
  readonly dir: string;
  readonly httpPort: number;
  readonly https?: { readonly port: number; readonly tls: TlsFiles };
}): string {
  const location = `    location = ${STATIC_PATH} {\n      root "${join(options.dir, "www")}";\n      default_type application/json;\n    }`;
  const servers = [`  server {\n    listen 127.0.0.1:${options.httpPort};\n${location}\n  }`];
  if (options.https !== undefined) {
    servers.push(
      `  server {\n    listen 127.0.0.1:${options.https.port} ssl;\n` +
        `    ssl_certificate "${options.https.tls.certPath}";\n    ssl_certificate_key "${options.https.tls.keyPath}";\n` +
        `${location}\n  }`,
    );
  }
  return [
    "worker_processes auto;",
    "daemon off;",
    `pid "${join(options.dir, "nginx.pid")}";`,
    `error_log "${join(options.dir, "error.log")}" warn;`,
    "events {",
    "  worker_connections 4096;",
    "}",
    "http {",
    "  access_log off;",
    `  client_body_temp_path "${join(options.dir, "temp")}";`,
    "  sendfile on;",
    "  tcp_nopush on;",
    "  keepalive_timeout 65s;",
    "  keepalive_requests 1000000;",
    "  server_tokens off;",
    ...servers,
    "}",
    "",
  ].join("\n");
}

/**
 * Starts the temporary NGINX with a file of `bytes` bytes at `STATIC_PATH`; `tls` adds an https
 * listener. Waits until it answers.
 *
 * @throws Error when nginx is missing or does not come up within 10 s.
 */
export async function startStaticNginx(bytes: number, tls?: TlsFiles): Promise<StaticNginx> {
  const nginx = await findExecutable("nginx");
  if (nginx === undefined) throw new Error("nginx not found (npm run services installs it)");
  const dir = await mkdtemp(join(tmpdir(), "souk-bench-nginx-"));
  // NGINX's workers run as `nobody` when the master is root: they must reach the file.
  await chmod(dir, 0o755);
  await mkdir(join(dir, "www"), { mode: 0o755 });
  await mkdir(join(dir, "temp"), { mode: 0o755 });
  await writeFile(join(dir, "www", STATIC_PATH.slice(1)), staticBody(bytes), { mode: 0o644 });
  const httpPort = await freePort();
  const httpsPort = tls === undefined ? undefined : await freePort();
  const config = staticNginxConfig({
    dir,
    httpPort,
    ...(httpsPort === undefined || tls === undefined ? {} : { https: { port: httpsPort, tls } }),
  });
  await writeFile(join(dir, "nginx.conf"), config);
  const child: ChildProcess = spawn(
    nginx,
    ["-p", `${dir}/`, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const httpOrigin = `http://127.0.0.1:${httpPort}`;
  const deadline = performance.now() + 10_000;
  while (!(await answers(`${httpOrigin}${STATIC_PATH}`))) {
    if (performance.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`the temporary NGINX did not answer on ${httpOrigin} (config in ${dir})`);
    }
    await sleep(50);
  }
  return {
    httpOrigin,
    ...(httpsPort === undefined ? {} : { httpsOrigin: `https://127.0.0.1:${httpsPort}` }),
    bytes,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGQUIT");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a GET of `url` answers 200 (fresh connection, 1 s). Never rejects. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
      res.on("error", () => resolve(false));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}
