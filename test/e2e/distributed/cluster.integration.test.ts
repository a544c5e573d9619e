// `npm run up` end to end: the whole store as separate processes under pm2, reached only through
// NGINX's TLS edge on https://127.0.0.1:8443 with the generated development CA trusted; then
// `npm run down`. Needs the backing services (`clusterUp` starts them when they are down); fails,
// never skips, when the cluster cannot come up.
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { connect } from "node:tls";
import { setTimeout as delay } from "node:timers/promises";
import { grpcClient, grpcUpstream, Health, ServingStatus } from "@souk/platform/grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterDown, clusterUp, type ClusterUpResult } from "../../../apps/souk/src/cluster/cluster.command.ts";
import { httpsApi } from "./cluster.client.ts";
import type { Api } from "../support/http.ts";
import { addToCart, placeOrder } from "../support/orders.ts";
import type { Page, Product } from "../support/types.ts";
import { registerAndLogin } from "../support/users.ts";

const EDGE = "https://127.0.0.1:8443";
const GATEWAY_REPLICAS = ["127.0.0.1:8081", "127.0.0.1:8082"];
const ORDERS_REPLICAS = ["127.0.0.1:50056", "127.0.0.1:50066"];

/** The protocol NGINX's edge agrees to by ALPN, with the CA trusted and the certificate checked. */
function negotiatedProtocol(ca: string): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: 8443,
      ca,
      servername: "localhost",
      ALPNProtocols: ["h2", "http/1.1"],
    });
    socket.once("secureConnect", () => {
      resolve(socket.alpnProtocol);
      socket.end();
    });
    socket.once("error", reject);
  });
}

describe("npm run up: the store as separate processes behind NGINX's TLS edge", () => {
  let cluster: ClusterUpResult;
  /** The processes as last reported (pids change when pm2 restarts one). */
  let latest: ClusterUpResult;
  let api: Api & { close(): void };
  let ca: string;
  let down = false;

  beforeAll(async () => {
    cluster = await clusterUp();
    latest = cluster;
    ca = await readFile(cluster.caCertPath, "utf8");
    api = httpsApi(cluster.baseUrl, ca);
  }, 240_000);

  afterAll(async () => {
    api?.close();
    if (!down) await clusterDown();
  }, 120_000);

  it("reports the public URL, the CA and every process running under pm2", () => {
    expect(cluster.baseUrl).toBe(EDGE);
    expect(cluster.caCertPath).toMatch(/ca\.crt$/);
    expect(cluster.processes.map((p) => p.name)).toEqual([
      "souk-identity",
      "souk-catalog",
      "souk-cart",
      "souk-inventory",
      "souk-payments",
      "souk-notifications",
      "souk-analytics",
      "souk-orders-1",
      "souk-orders-2",
      "souk-gateway-1",
      "souk-gateway-2",
    ]);
    for (const process of cluster.processes) {
      expect(process.status, process.name).toBe("online");
      expect(process.pid, process.name).toBeGreaterThan(0);
    }
  });

  it("answers /readyz over TLS (HTTP/2 by ALPN), with a request id and the replica that served it", async () => {
    expect(await negotiatedProtocol(ca)).toBe("h2");
    const ready = await api.get("/readyz", { headers: { "x-request-id": "cluster-test-42" } });
    expect(ready.status, ready.text).toBe(200);
    expect(ready.headers.get("x-request-id")).toBe("cluster-test-42");
    expect(GATEWAY_REPLICAS).toContain(ready.headers.get("x-served-by"));
  });

  it("refuses a client that does not trust the development CA", async () => {
    const untrusted = new Promise((resolve, reject) => {
      request(`${EDGE}/readyz`, { agent: false }, resolve).on("error", reject).end();
    });
    await expect(untrusted).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it("serves a whole journey through the edge: register, log in, browse, add to cart, check out → CONFIRMED", async () => {
    const customer = await registerAndLogin(api, "cluster");
    const page = await api.get<Page<Product>>("/v1/products?limit=50");
    expect(page.status, page.text).toBe(200);
    const product = page.body.items.filter((p) => p.available >= 2).sort((a, b) => a.price.amount - b.price.amount)[0];
    expect(product, "the gateway seeded the catalog and its stock").toBeDefined();
    const cart = await addToCart(api, customer, product!.id, 2);
    expect(cart.items).toHaveLength(1);
    const order = await placeOrder(api, customer);
    expect(order.status).toBe("CONFIRMED");
    const fetched = await api.get<{ order: { id: string; status: string } }>(`/v1/orders/${order.id}`, {
      token: customer.token,
    });
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.order.status).toBe("CONFIRMED");
  });

  it("answers product pages from the edge cache for the gateway's s-maxage, and asks the gateway when told no-cache", async () => {
    const page = await api.get<Page<Product>>("/v1/products?limit=3");
    expect(page.status, page.text).toBe(200);
    const path = `/v1/products/${page.body.items.at(-1)!.id}`;
    const answers = [];
    // Within one s-maxage (1 s, 1–2 s at NGINX's whole seconds) the first asks a replica, the rest are kept.
    for (let i = 0; i < 3; i += 1) answers.push(await api.get<Product>(path));
    const statuses = answers.map((a) => a.headers.get("x-cache-status"));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]!.headers.get("cache-control")).toBe("public, max-age=0, s-maxage=1");
    expect(statuses.at(-1)).toBe("HIT");
    const hit = answers.at(-1)!;
    expect(hit.headers.get("x-served-by")).toBeNull();
    expect(hit.headers.get("x-ratelimit-remaining")).toBeNull();
    expect(hit.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(hit.body).toEqual(answers[0]!.body);
    const fresh = await api.get<Product>(path, { headers: { "cache-control": "no-cache" } });
    expect(fresh.headers.get("x-cache-status")).toBe("BYPASS");
    expect(GATEWAY_REPLICAS).toContain(fresh.headers.get("x-served-by"));
    expect(fresh.headers.get("x-ratelimit-remaining")).not.toBeNull();
  });

  it("balances across both gateway replicas", async () => {
    const servedBy = new Set<string>();
    for (let i = 0; i < 10; i += 1) {
      // Not a product page: those may be answered by the edge cache.
      const response = await api.get("/v1/categories");
      expect(response.status, response.text).toBe(200);
      servedBy.add(response.headers.get("x-served-by") ?? "none");
    }
    expect([...servedBy].sort()).toEqual(GATEWAY_REPLICAS);
  });

  it("balances gRPC calls across both orders replicas through NGINX (127.0.0.1:50060)", async () => {
    const upstream = grpcUpstream("http://127.0.0.1:50060");
    try {
      const health = grpcClient(Health, { upstream, timeoutMs: 5_000 });
      const servedBy = new Set<string>();
      for (let i = 0; i < 6; i += 1) {
        const answer = await health.check(
          { service: "souk.orders.v1.OrdersService" },
          { onHeader: (headers) => servedBy.add(headers.get("x-served-by") ?? "none") },
        );
        expect(answer.status).toBe(ServingStatus.SERVING);
      }
      expect([...servedBy].sort()).toEqual(ORDERS_REPLICAS);
    } finally {
      upstream.close();
    }
  });

  it("keeps serving when a gateway replica dies, and pm2 restarts it", async () => {
    const victim = cluster.processes.find((p) => p.name === "souk-gateway-1")!;
    process.kill(victim.pid, "SIGKILL");
    for (let i = 0; i < 10; i += 1) {
      const response = await api.get("/v1/products?limit=1");
      expect(response.status, response.text).toBe(200);
    }
    // `up` again is idempotent: it leaves running processes alone and waits for the restarted one.
    let again: ClusterUpResult | undefined;
    for (let attempt = 0; attempt < 30 && again === undefined; attempt += 1) {
      again = await clusterUp().catch(async () => {
        await delay(1_000);
        return undefined;
      });
    }
    expect(again, "up succeeds again once pm2 restarted the replica").toBeDefined();
    latest = again!;
    const restarted = again!.processes.find((p) => p.name === "souk-gateway-1")!;
    expect(restarted.pid).not.toBe(victim.pid);
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
    const survivor = (list: ClusterUpResult) => list.processes.find((p) => p.name === "souk-catalog")!.pid;
    expect(survivor(again!)).toBe(survivor(cluster));
  }, 120_000);

  it("down stops every process and the edge stops answering", async () => {
    await clusterDown();
    down = true;
    const gone = new Promise((resolve, reject) => {
      request(`${EDGE}/readyz`, { agent: false, ca, timeout: 5_000 }, resolve).on("error", reject).end();
    });
    await expect(gone).rejects.toThrow(/ECONNREFUSED/);
    for (const { name, pid } of latest.processes) {
      expect(() => process.kill(pid, 0), name).toThrow();
    }
  }, 120_000);
});
