import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { createHttpServer, createMetrics } from "@souk/platform";
import { closedPort, testLogger } from "@souk/platform/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../backing/backing.config.ts";
import { renderTemplate } from "../backing/nginx.backing.ts";
import { findExecutable, waitUntil } from "../backing/process.runner.ts";
import { ensureDevCertificates } from "./dev-tls.certificates.ts";
import { removeEdgeConfig, renderEdgeConfig, writeEdgeConfig } from "./edge.nginx.ts";

const run = promisify(execFile);

/** Writes NGINX's main config into `prefix` (with `prefix/conf.d`) and resolves to its path. */
async function writeMainConfig(prefix: string, logsDir: string): Promise<string> {
  await mkdir(join(prefix, "temp"), { recursive: true });
  await mkdir(join(prefix, "conf.d"), { recursive: true });
  const main = renderTemplate(await readFile(join(REPO_ROOT, "deploy", "nginx", "nginx.conf.template"), "utf8"), {
    NGINX_DIR: prefix,
    LOGS_DIR: logsDir,
  });
  await writeFile(join(prefix, "nginx.conf"), main);
  return join(prefix, "nginx.conf");
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** POSTs `body` as JSON over HTTPS to 127.0.0.1:`port`, trusting `ca`. */
function postJson(
  port: number,
  ca: Buffer,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/v1/echo",
        method: "POST",
        ca,
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    // NGINX may answer 413 and close before it reads the whole body: the answer is what counts.
    req.on("error", reject);
    req.end(body);
  });
}

/** A JSON body of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): Buffer {
  const frame = JSON.stringify({ pad: "" });
  return Buffer.from(JSON.stringify({ pad: "p".repeat(bytes - frame.length) }));
}

describe("the cluster's NGINX files and development certificates", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "souk-edge-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("render the edge and the orders balancer from deploy/nginx", async () => {
    const files = await renderEdgeConfig(REPO_ROOT, {
      cert: "conf.d/souk-tls/server.crt",
      key: "conf.d/souk-tls/server.key",
    });
    const edge = files["souk-gateway.conf"];
    expect(edge).toContain("listen 127.0.0.1:8443 ssl http2;");
    expect(edge).toContain("server 127.0.0.1:8081 max_fails=0;");
    expect(edge).toContain("server 127.0.0.1:8082 max_fails=0;");
    expect(edge).toContain("proxy_next_upstream error http_502 http_503 non_idempotent;");
    expect(edge).toContain("add_header X-Served-By $upstream_addr always;");
    const orders = files["souk-orders-grpc.conf"];
    expect(orders).toContain("listen 127.0.0.1:50060 http2;");
    expect(orders).toContain("grpc_pass grpc://souk_orders_grpc;");
    expect(orders).toContain("server 127.0.0.1:50056 max_fails=0;");
    expect(orders).toContain("server 127.0.0.1:50066 max_fails=0;");
  });

  test("make a CA once and a server certificate for 127.0.0.1 and localhost signed by it", async () => {
    const tls = join(dir, "tls");
    const first = await ensureDevCertificates(tls);
    expect(first.made).toBe("CA and server certificate");
    expect((await stat(first.keyPath)).mode & 0o077).toBe(0);
    const again = await ensureDevCertificates(tls);
    expect(again.made).toBe("nothing");
    await rm(again.certPath);
    expect((await ensureDevCertificates(tls)).made).toBe("server certificate");
    const { stdout } = await run("openssl", ["x509", "-in", first.certPath, "-noout", "-ext", "subjectAltName"]);
    expect(stdout).toMatch(/IP Address:127\.0\.0\.1/);
    expect(stdout).toMatch(/DNS:localhost/);
    await run("openssl", ["verify", "-CAfile", first.caCertPath, first.certPath]);
  });

  test("pass `nginx -t` with the backing services' main config, and are removed cleanly", async () => {
    const nginx = await findExecutable("nginx");
    expect(nginx, "nginx is installed by `npm run services start`").toBeDefined();
    const prefix = join(dir, "nginx");
    const confD = join(prefix, "conf.d");
    const mainConfig = await writeMainConfig(prefix, dir);
    await writeEdgeConfig(REPO_ROOT, confD, await ensureDevCertificates(join(dir, "tls")));
    const args = ["-t", "-q", "-p", `${prefix}/`, "-e", join(dir, "error.log"), "-c", mainConfig];
    await expect(run(nginx!, args)).resolves.toBeDefined();

    await removeEdgeConfig(confD);
    await expect(stat(join(confD, "souk-gateway.conf"))).rejects.toThrow();
    await expect(stat(join(confD, "souk-tls"))).rejects.toThrow();
  });

  test("refuse a body over the gateway's 1 MiB at the edge, with the gateway's problem, and pass one of exactly 1 MiB", async () => {
    // A replica refusing a body over its limit closes the connection while NGINX may still be
    // writing the body: NGINX then counted a failed replica and answered 503 (CI, stop 19).
    const nginx = await findExecutable("nginx");
    expect(nginx, "nginx is installed by `npm run services start`").toBeDefined();
    const gateway = createHttpServer({ logger: testLogger(), metrics: createMetrics(), isReady: () => true });
    let reachedGateway = 0;
    gateway.addHook("onRequest", async () => {
      reachedGateway += 1;
    });
    gateway.post("/v1/echo", async (request) => ({ bytes: JSON.stringify(request.body).length }));
    await gateway.listen({ host: "127.0.0.1", port: 0 });
    const address = gateway.server.address();
    const gatewayPort = typeof address === "object" && address !== null ? address.port : 0;

    // Started as root, NGINX's workers run as nobody and buffer bodies over 16 KiB in files under
    // the prefix: mkdtemp's 0700 would keep them out (the 1 MiB POST below got a 500).
    await chmod(dir, 0o755);
    const prefix = join(dir, "nginx-run");
    const mainConfig = await writeMainConfig(prefix, prefix);
    const certificates = await ensureDevCertificates(join(dir, "tls"));
    const edgePort = await closedPort();
    await writeEdgeConfig(REPO_ROOT, join(prefix, "conf.d"), certificates, {
      edge: edgePort,
      gateways: [gatewayPort],
      ordersBalancer: await closedPort(),
      orders: [await closedPort()],
    });
    const args = ["-p", `${prefix}/`, "-e", join(prefix, "error.log"), "-c", mainConfig, "-g", "daemon off;"];
    const server: ChildProcess = spawn(nginx!, args, { stdio: "ignore" });
    try {
      expect(await waitUntil(() => accepts(edgePort), 10_000, 50), "NGINX listens on the edge port").toBe(true);
      const ca = await readFile(certificates.caCertPath);
      const limit = 1024 * 1024;

      // What a replica answers to a body over its limit, sent to it directly.
      const direct = await gateway.inject({
        method: "POST",
        url: "/v1/echo",
        headers: { "content-type": "application/json" },
        payload: jsonOfSize(limit + 1),
      });
      expect(direct.statusCode).toBe(413);
      // The edge leaves out `instance` (optional in RFC 9457): a URI cannot go into NGINX's JSON unescaped.
      const { instance, ...gatewayProblem } = JSON.parse(direct.body) as Record<string, unknown>;
      expect(instance).toBe("/v1/echo");
      reachedGateway = 0;

      for (const size of [limit + 1, limit + 512 * 1024, 3 * limit]) {
        const refused = await postJson(edgePort, ca, jsonOfSize(size));
        expect(refused.status, refused.text).toBe(413);
        expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(refused.text)).toEqual(gatewayProblem);
        expect(refused.headers["x-served-by"]).toBeUndefined();
      }
      expect(reachedGateway, "no replica saw a body over the limit").toBe(0);

      const accepted = await postJson(edgePort, ca, jsonOfSize(limit));
      expect(accepted.status, accepted.text).toBe(200);
      expect(JSON.parse(accepted.text)).toEqual({ bytes: limit });
      expect(accepted.headers["x-served-by"]).toBe(`127.0.0.1:${gatewayPort}`);
      expect(reachedGateway).toBe(1);
    } finally {
      server.kill("SIGTERM");
      await new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(undefined)));
      await gateway.close();
    }
  });
});
