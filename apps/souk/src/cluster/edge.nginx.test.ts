import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { Agent, request as httpsRequest } from "node:https";
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
import { edgeCacheDir, type EdgePorts, removeEdgeConfig, renderEdgeConfig, writeEdgeConfig } from "./edge.nginx.ts";

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

/** An answer through the edge. */
type EdgeAnswer = { status: number; headers: Record<string, string | string[] | undefined>; text: string };

/** Sends one request over HTTPS to 127.0.0.1:`port`, on a connection of its own, trusting `ca`. */
function sendHttps(
  port: number,
  ca: Buffer,
  options: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer },
): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const { method, path, headers = {} } = options;
    const req = httpsRequest({ host: "127.0.0.1", port, path, method, ca, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    // NGINX may answer 413 and close before it reads the whole body: the answer is what counts.
    req.on("error", reject);
    req.end(options.body);
  });
}

/** POSTs `body` as JSON to /v1/echo through the edge. */
function postJson(port: number, ca: Buffer, body: Buffer): Promise<EdgeAnswer> {
  const headers = { "content-type": "application/json", "content-length": body.length };
  return sendHttps(port, ca, { method: "POST", path: "/v1/echo", headers, body });
}

/** A JSON body of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): Buffer {
  const frame = JSON.stringify({ pad: "" });
  return Buffer.from(JSON.stringify({ pad: "p".repeat(bytes - frame.length) }));
}

/** GETs `path` through the edge. */
function getJson(port: number, ca: Buffer, path: string, headers: Record<string, string> = {}): Promise<EdgeAnswer> {
  return sendHttps(port, ca, { method: "GET", path, headers });
}

/**
 * Free ports for an edge that is not the cluster's (removing its files removes the edge port's
 * cache directory too), with `gatewayPort` behind it, or a closed one.
 */
async function freeEdgePorts(gatewayPort?: number): Promise<EdgePorts> {
  return {
    edge: await closedPort(),
    gateways: [gatewayPort ?? (await closedPort())],
    ordersBalancer: await closedPort(),
    orders: [await closedPort()],
  };
}

/**
 * Starts NGINX (`nginx`, found on PATH) with the backing services' main config and the cluster's
 * edge in front of `gatewayPort`, under `dir`; resolves once it listens, to its edge port, the CA
 * to trust and a stop function.
 */
async function startEdge(
  nginx: string,
  dir: string,
  gatewayPort: number,
): Promise<{ edgePort: number; ca: Buffer; stop: () => Promise<void> }> {
  // Started as root, NGINX's workers run as nobody and write bodies and the edge cache under the
  // prefix: mkdtemp's 0700 would keep them out.
  await chmod(dir, 0o755);
  const prefix = join(dir, `nginx-run-${gatewayPort}`);
  const mainConfig = await writeMainConfig(prefix, prefix);
  const certificates = await ensureDevCertificates(join(dir, "tls"));
  const ports = await freeEdgePorts(gatewayPort);
  const edgePort = ports.edge;
  await writeEdgeConfig(REPO_ROOT, join(prefix, "conf.d"), certificates, ports);
  const args = ["-p", `${prefix}/`, "-e", join(prefix, "error.log"), "-c", mainConfig, "-g", "daemon off;"];
  const server: ChildProcess = spawn(nginx, args, { stdio: "ignore" });
  const stop = async () => {
    server.kill("SIGTERM");
    await new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(undefined)));
    await removeEdgeConfig(join(prefix, "conf.d"), ports);
  };
  if (!(await waitUntil(() => accepts(edgePort), 10_000, 50))) {
    await stop();
    throw new Error(`NGINX does not listen on the edge port ${edgePort} (log ${prefix}/error.log)`);
  }
  return { edgePort, ca: await readFile(certificates.caCertPath), stop };
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
    expect(edge).toContain("proxy_cache_path /dev/shm/souk-edge-cache-8443 ");
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
    const ports = await freeEdgePorts();
    await writeEdgeConfig(REPO_ROOT, confD, await ensureDevCertificates(join(dir, "tls")), ports);
    const args = ["-t", "-q", "-p", `${prefix}/`, "-e", join(dir, "error.log"), "-c", mainConfig];
    await expect(run(nginx!, args)).resolves.toBeDefined();
    await mkdir(join(edgeCacheDir(ports.edge), "a"), { recursive: true });

    await removeEdgeConfig(confD, ports);
    await expect(stat(join(confD, "souk-gateway.conf"))).rejects.toThrow();
    await expect(stat(join(confD, "souk-tls"))).rejects.toThrow();
    await expect(stat(edgeCacheDir(ports.edge))).rejects.toThrow();
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

    // NGINX buffers bodies over 16 KiB in files under its prefix (the 1 MiB POST got a 500 when
    // its workers could not reach them).
    const { edgePort, ca, stop } = await startEdge(nginx!, dir, gatewayPort);
    try {
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
      await stop();
      await gateway.close();
    }
  });

  test("keep product and listing pages the gateway marks s-maxage, per URL, without another client's headers", async () => {
    const nginx = await findExecutable("nginx");
    expect(nginx, "nginx is installed by `npm run services start`").toBeDefined();
    const gateway = createHttpServer({ logger: testLogger(), metrics: createMetrics(), isReady: () => true });
    let served = 0;
    const reached: string[] = [];
    gateway.addHook("onRequest", async (request) => {
      served += 1;
      reached.push(request.url);
    });
    gateway.addHook("onSend", async (request, reply) => {
      void reply.header("x-ratelimit-limit", "100");
      void reply.header("x-ratelimit-remaining", String(100 - served));
      void reply.header("x-ratelimit-reset", "60");
      void reply.header("traceparent", `00-${"a".repeat(31)}${served % 10}-${"b".repeat(16)}-01`);
    });
    const shared = "public, max-age=0, s-maxage=1";
    gateway.get("/v1/products", async (request, reply) => {
      void reply.header("cache-control", shared);
      return { served, query: request.query };
    });
    gateway.get("/v1/products/:id", async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id === "missing") return reply.code(404).send({ status: 404, served });
      if (id === "unmarked") return { served };
      void reply.header("cache-control", shared);
      return { served, id };
    });
    gateway.get("/v1/keys", async (_request, reply) => {
      void reply.header("cache-control", "public, max-age=0, s-maxage=60");
      return { served };
    });
    await gateway.listen({ host: "127.0.0.1", port: 0 });
    const address = gateway.server.address();
    const gatewayPort = typeof address === "object" && address !== null ? address.port : 0;
    const { edgePort, ca, stop } = await startEdge(nginx!, dir, gatewayPort);
    const get = (path: string, headers: Record<string, string> = {}) => getJson(edgePort, ca, path, headers);
    try {
      const first = await get("/v1/products/p1", { "x-request-id": "first" });
      expect(first.status, first.text).toBe(200);
      expect(first.headers["x-cache-status"]).toBe("MISS");
      expect(first.headers["x-request-id"]).toBe("first");
      expect(first.headers["x-ratelimit-remaining"]).toBe("99");
      expect(first.headers["traceparent"]).toMatch(/^00-a{31}1-/);
      expect(first.headers["x-served-by"]).toBe(`127.0.0.1:${gatewayPort}`);

      // Kept: the same body, this request's id, and none of the first client's rate-limit state or trace.
      const hit = await get("/v1/products/p1", { "x-request-id": "second" });
      expect([hit.status, hit.headers["x-cache-status"], hit.text]).toEqual([200, "HIT", first.text]);
      expect(hit.headers["cache-control"]).toBe(shared);
      expect(hit.headers["x-request-id"]).toBe("second");
      for (const header of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "traceparent"])
        expect(hit.headers[header], header).toBeUndefined();
      expect(hit.headers["x-served-by"]).toBeUndefined();
      expect(reached).toEqual(["/v1/products/p1"]);

      // Asking for a fresh answer skips the cache, and the fresh answer is kept for the next client.
      const fresh = await get("/v1/products/p1", { "cache-control": "no-cache" });
      expect([fresh.headers["x-cache-status"], JSON.parse(fresh.text)]).toEqual(["BYPASS", { served: 2, id: "p1" }]);
      expect(fresh.headers["x-ratelimit-remaining"]).toBe("98");
      expect((await get("/v1/products/p1", { "cache-control": 'max-age="0"' })).headers["x-cache-status"]).toBe(
        "BYPASS",
      );
      const after = await get("/v1/products/p1");
      expect([after.headers["x-cache-status"], JSON.parse(after.text)]).toEqual(["HIT", { served: 3, id: "p1" }]);
      expect((await get("/v1/products/p1", { "cache-control": "max-age=60" })).headers["x-cache-status"]).toBe("HIT");

      // One entry per URL, query string included.
      const listing = await get("/v1/products?q=lamp&limit=5");
      expect(listing.headers["x-cache-status"]).toBe("MISS");
      expect((await get("/v1/products?q=lamp&limit=5")).text).toBe(listing.text);
      expect((await get("/v1/products?q=lamp&limit=6")).headers["x-cache-status"]).toBe("MISS");
      expect((await get("/v1/products/p2")).headers["x-cache-status"]).toBe("MISS");

      // Not kept: errors, answers without s-maxage, and anything outside the catalog's reads.
      reached.length = 0;
      for (const path of ["/v1/products/missing", "/v1/products/unmarked", "/v1/keys"]) {
        const answers = [await get(path), await get(path)];
        expect(answers.map((a) => a.headers["x-cache-status"] ?? "none")).toEqual(
          path === "/v1/keys" ? ["none", "none"] : ["MISS", "MISS"],
        );
      }
      expect(reached).toEqual([
        "/v1/products/missing",
        "/v1/products/missing",
        "/v1/products/unmarked",
        "/v1/products/unmarked",
        "/v1/keys",
        "/v1/keys",
      ]);

      // A client's connection lasts: NGINX's default closes it after 1,000 requests.
      const agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
      const sockets = new Set<unknown>();
      for (let i = 0; i < 1_100; i += 1) {
        await new Promise<void>((resolve, reject) => {
          const req = httpsRequest({ host: "127.0.0.1", port: edgePort, path: "/v1/products/p1", agent }, (res) => {
            res.resume();
            res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
          });
          req.on("socket", (socket) => sockets.add(socket));
          req.on("error", reject);
          req.end();
        });
      }
      agent.destroy();
      expect(sockets.size).toBe(1);

      // After s-maxage the next request goes to the gateway again (NGINX counts whole seconds: a
      // kept answer lives 1–2 s for s-maxage=1).
      await new Promise((resolve) => setTimeout(resolve, 2_050));
      const expired = await get("/v1/products/p1");
      expect(expired.headers["x-cache-status"]).toBe("EXPIRED");
      expect(JSON.parse(expired.text)).toEqual({ served, id: "p1" });
    } finally {
      await stop();
      await gateway.close();
    }
  });
});
