import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createSecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ensureDevCertificates } from "../../apps/souk/src/cluster/dev-tls.certificates.ts";
import { startGenerator } from "./generator.client.ts";

test("the generator thread speaks HTTP/1.1 to a TLS server that offers HTTP/2 as well", async () => {
  // The cluster's edge offers h2 by ALPN; the static-file limits speak HTTP/1.1 only. Over h2
  // the distributed product page lost 29–46 % of its rate (9,016–11,996 against 16,847/s), so
  // the ratios compared two protocols.
  const dir = await mkdtemp(join(tmpdir(), "souk-generator-"));
  const tls = await ensureDevCertificates(join(dir, "tls"));
  const versions = new Map<string, number>();
  const server = createSecureServer(
    { cert: await readFile(tls.certPath), key: await readFile(tls.keyPath), allowHTTP1: true },
    (request, response) => {
      versions.set(request.httpVersion, (versions.get(request.httpVersion) ?? 0) + 1);
      response.setHeader("content-type", "application/json");
      response.end("{}");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const generator = startGenerator({
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: await readFile(tls.caCertPath, "utf8"),
    connections: 4,
    seed: 1,
    staticPath: "/file.json",
  });
  try {
    const probe = await generator.probe("static", 4, 300);
    expect(probe.failed).toBe(0);
    expect(probe.succeeded).toBeGreaterThan(10);
    expect([...versions.entries()]).toEqual([["1.1", probe.succeeded]]);
  } finally {
    await generator.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});
