import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_ENTRY, buildBundle } from "../../apps/souk/src/bundle.ts";

/**
 * Crash recovery, for real: the store runs as a child process — what `npm start` runs, the
 * bundle's `start` — is killed with SIGKILL in the middle of a checkout saga, and a new process
 * on the same PGlite data directory must resume the saga to a terminal state — exactly once.
 */

const MAIN = BUNDLE_ENTRY;
/** The repo's own Node 24 (the `node` npm package), whatever Node runs the test runner. */
const NODE = join(import.meta.dirname, "../../node_modules/.bin/node");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

interface Store {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

async function startStore(dataDir: string, port: number, env: Record<string, string>): Promise<Store> {
  const child = spawn(NODE, [MAIN, "start"], {
    env: {
      ...process.env,
      PORT: String(port),
      SOUK_DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      CATALOG_SEED_COUNT: "200",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`store exited early:\n${output}`);
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, baseUrl, output: () => output, exited };
    if (Date.now() > deadline) throw new Error(`store not ready in 60 s:\n${output}`);
    await delay(100);
  }
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

interface Product {
  id: string;
  available: number;
}
interface OrderBody {
  order: { id: string; status: string; cancellationReason?: string };
}

describe("a crash in the middle of a checkout saga", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    await buildBundle();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("resumes after kill -9 and confirms the order exactly once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "souk-restart-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();

    // First life: a slow payment provider, so the saga is mid-authorization when we kill it.
    const first = await startStore(dataDir, port, {
      PAYMENTS_SIMULATOR_LATENCY_MS: "5000",
      ORDERS_CHECKOUT_WAIT_MS: "100",
    });
    cleanups.push(async () => first.child.kill("SIGKILL"));
    const api = (path: string, init: RequestInit = {}, token?: string) =>
      fetch(`${first.baseUrl}${path}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...init.headers,
        },
      });
    const email = `crash-${Date.now()}@example.com`;
    expect(
      (
        await api("/v1/auth/register", {
          method: "POST",
          body: JSON.stringify({ email, password: "correct horse", name: "Crash" }),
        })
      ).status,
    ).toBe(201);
    const { accessToken } = await json<{ accessToken: string }>(
      await api("/v1/auth/login", { method: "POST", body: JSON.stringify({ email, password: "correct horse" }) }),
    );
    const { items } = await json<{ items: Product[] }>(await api("/v1/products?limit=50"));
    const product = items.find((p) => p.available >= 2);
    if (product === undefined) throw new Error("no product in stock");
    expect(
      (
        await api(
          "/v1/cart/items",
          { method: "POST", body: JSON.stringify({ productId: product.id, quantity: 2 }) },
          accessToken,
        )
      ).status,
    ).toBe(200);

    // One checkout request, sent once before the crash and replayed (same key, same body) after.
    const checkout = () =>
      api(
        "/v1/checkout",
        {
          method: "POST",
          headers: { "idempotency-key": "crash-test-1" },
          body: JSON.stringify({
            payment: { card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } },
            shippingAddress: {
              name: "Crash",
              line1: "1 Main St",
              city: "Springfield",
              postalCode: "12345",
              country: "US",
            },
          }),
        },
        accessToken,
      );
    const placed = await checkout();
    expect(placed.status).toBe(202);
    const { order } = await json<OrderBody>(placed);
    expect(order.status).toBe("PENDING");

    await delay(500);
    first.child.kill("SIGKILL");
    await first.exited;

    // Second life: same data directory; the recovery loop picks the saga up once the dead
    // runner's lease lapses.
    const second = await startStore(dataDir, port, {
      ORDERS_SAGA_LEASE_MS: "1000",
      ORDERS_RECOVERY_INTERVAL_MS: "200",
    });
    cleanups.push(async () => second.child.kill("SIGKILL"));
    let status = "PENDING";
    const deadline = Date.now() + 30_000;
    while (status === "PENDING" && Date.now() < deadline) {
      await delay(200);
      status = (await json<OrderBody>(await api(`/v1/orders/${order.id}`, {}, accessToken))).order.status;
    }
    expect(status).toBe("CONFIRMED");
    const after = await json<Product>(await api(`/v1/products/${product.id}`));
    expect(after.available).toBe(product.available - 2);

    // Replaying the request returns the same order; nothing is charged twice.
    const replay = await checkout();
    expect((await json<OrderBody>(replay)).order).toMatchObject({ id: order.id, status: "CONFIRMED" });

    // Graceful shutdown: SIGTERM drains and exits 0, and the data survives for a third start.
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain("stopped cleanly");
    const third = await startStore(dataDir, port, {});
    cleanups.push(async () => third.child.kill("SIGKILL"));
    const survived = await json<OrderBody>(await api(`/v1/orders/${order.id}`, {}, accessToken));
    expect(survived.order.status).toBe("CONFIRMED");
    third.child.kill("SIGTERM");
    expect(await third.exited).toBe(0);
  }, 180_000);

  it("refuses to start on bad configuration, naming every bad variable, exit code 1", async () => {
    const child = spawn(NODE, [MAIN, "start"], {
      env: { ...process.env, PORT: "eighty", ORDERS_SAGA_LEASE_MS: "5", SOUK_DATA_DIR: "memory://" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid configuration: .*PORT: .*ORDERS_SAGA_LEASE_MS: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
