import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../backing/backing.config.ts";
import { renderTemplate } from "../backing/nginx.backing.ts";
import { findExecutable } from "../backing/process.runner.ts";
import { ensureDevCertificates } from "./dev-tls.certificates.ts";
import { removeEdgeConfig, renderEdgeConfig, writeEdgeConfig } from "./edge.nginx.ts";

const run = promisify(execFile);

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
    await mkdir(join(prefix, "temp"), { recursive: true });
    await mkdir(confD, { recursive: true });
    const main = renderTemplate(await readFile(join(REPO_ROOT, "deploy", "nginx", "nginx.conf.template"), "utf8"), {
      NGINX_DIR: prefix,
      LOGS_DIR: dir,
    });
    await writeFile(join(prefix, "nginx.conf"), main);
    await writeEdgeConfig(REPO_ROOT, confD, await ensureDevCertificates(join(dir, "tls")));
    const args = ["-t", "-q", "-p", `${prefix}/`, "-e", join(dir, "error.log"), "-c", join(prefix, "nginx.conf")];
    await expect(run(nginx!, args)).resolves.toBeDefined();

    await removeEdgeConfig(confD);
    await expect(stat(join(confD, "souk-gateway.conf"))).rejects.toThrow();
    await expect(stat(join(confD, "souk-tls"))).rejects.toThrow();
  });
});
