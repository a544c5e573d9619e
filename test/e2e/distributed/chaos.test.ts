// The chaos proof of the event-driven backbone (issue 4), against the real cluster (`npm run up`)
// with real PostgreSQL, Kafka and RabbitMQ: a stream of 500 checkouts while random service
// processes are SIGKILLed at random moments and Kafka, RabbitMQ and PostgreSQL are each restarted
// once. Afterwards every invariant is checked from the databases and the brokers' consumers (the
// SMTP sink, the webhook receiver), and the figures are printed. Loopback only, bounded in time.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runServicesCommand } from "../../../apps/souk/src/backing/services.command.ts";
import { clusterDown, clusterUp, type ClusterUpResult } from "../../../apps/souk/src/cluster/cluster.command.ts";
import { claimProducts } from "../support/catalog.ts";
import type { Api, ApiResponse } from "../support/http.ts";
import { checkoutBody, TEST_CARDS } from "../support/orders.ts";
import type { Order } from "../support/types.ts";
import { registerAndLogin, type Customer } from "../support/users.ts";
import { httpsApi, pm2List, pool, startBacking, stopPostgres } from "./cluster.client.ts";
import { startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookReceiver } from "./sinks.ts";

const CHECKOUTS = Number(process.env["SOUK_CHAOS_CHECKOUTS"] ?? 500);
const WORKERS = 12;
const ADMIN_TOKEN = `chaos-admin-${randomUUID()}`;
const PG = (database: string) => `postgres://souk:souk@127.0.0.1:55432/${database}`;

/** One checkout of the stream, as the client saw it. */
interface Checkout {
  readonly customer: Customer;
  key: string;
  readonly declined: boolean;
  orderId?: string;
  tries: number;
  readonly answers: string[];
}

const log = (line: string) => console.log(`[chaos] ${line}`);

/** A request that never throws: network errors become status 0. */
async function attempt<T>(call: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
  try {
    return await call();
  } catch (error) {
    return { status: 0, text: String(error), headers: new Headers(), body: undefined as T };
  }
}

/** Retries `call` while the answer is a transient failure (0, 429, 502, 503, 504), within `timeoutMs`. */
async function persist<T>(call: () => Promise<ApiResponse<T>>, timeoutMs: number, answers?: string[]) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await attempt(call);
    answers?.push(String(answer.status));
    if (![0, 429, 502, 503, 504].includes(answer.status) || Date.now() > deadline) return answer;
    await delay(300 + Math.random() * 700);
  }
}

describe("chaos: 500 checkouts while processes are killed and PostgreSQL, Kafka and RabbitMQ restart", () => {
  let cluster: ClusterUpResult;
  let api: Api & { close(): void };
  let smtp: SmtpSink;
  let hooks: WebhookReceiver;
  const databases = new Map<string, pg.Pool>();
  const db = (name: string) => {
    let pool = databases.get(name);
    // Each service's tables live in a schema named after it, in its own database.
    if (pool === undefined) {
      pool = new pg.Pool({ connectionString: PG(name), max: 2, options: `-c search_path=${name}` });
      // PostgreSQL is restarted under the test: idle connections drop and are replaced.
      pool.on("error", () => {});
      databases.set(name, pool);
    }
    return pool;
  };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  let env: Record<string, string | undefined>;
  const endpointIds: string[] = [];
  beforeAll(async () => {
    smtp = await startSmtpSink();
    hooks = await startWebhookReceiver();
    env = {
      ...process.env,
      SMTP_URL: smtp.url,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      // One client IP (this test) drives the whole crowd: the per-IP limit is not under test here.
      GATEWAY_RATE_LIMIT_PER_IP: "1000000",
      GATEWAY_RATE_LIMIT_PER_USER: "1000000",
      // Quick retries, so webhook/email attempts that hit a killed process come back fast.
      NOTIFICATIONS_RETRY_BASE_MS: "500",
      NOTIFICATIONS_RETRY_MAX_MS: "5000",
      // …and enough of them to outlast a killed identity (the recipient's address) or a busy lease.
      NOTIFICATIONS_EMAIL_MAX_ATTEMPTS: "30",
      NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: "30",
    };
    // Down first: `up` keeps processes whose definition is unchanged, and these variables are new.
    await clusterDown();
    cluster = await clusterUp({ env });
    api = httpsApi(cluster.baseUrl, await readFile(cluster.caCertPath, "utf8"), 20_000);
    // Endpoints left by an earlier run point at receivers that are gone: deactivate them.
    const existing = await api.get<{ items: { id: string; active: boolean }[] }>("/v1/admin/webhook-endpoints", {
      headers: admin,
    });
    expect(existing.status, existing.text).toBe(200);
    for (const endpoint of existing.body.items.filter((e) => e.active)) {
      await api.delete(`/v1/admin/webhook-endpoints/${endpoint.id}`, { headers: admin });
    }
    for (const name of ["alpha", "beta"]) {
      const created = await api.post<{ endpoint: { id: string }; secret: string }>(
        "/v1/admin/webhook-endpoints",
        { url: hooks.url(name), eventTypes: ["order.confirmed", "order.cancelled"] },
        { headers: admin },
      );
      expect(created.status, created.text).toBe(201);
      hooks.secrets.set(name, created.body.secret);
      endpointIds.push(created.body.endpoint.id);
    }
  }, 300_000);

  afterAll(async () => {
    for (const id of endpointIds) {
      await api?.delete(`/v1/admin/webhook-endpoints/${id}`, { headers: admin }).catch(() => undefined);
    }
    api?.close();
    for (const pool of databases.values()) await pool.end().catch(() => undefined);
    await startBacking().catch((error: unknown) => log(`afterAll: services start failed: ${String(error)}`));
    await clusterDown().catch((error: unknown) => log(`afterAll: down failed: ${String(error)}`));
    await smtp?.close();
    await hooks?.close();
  }, 180_000);

  it("a checkout's trace id reaches the email and the webhooks it causes", async () => {
    const [product] = await claimProducts(api, 1, (p) => p.available >= 5);
    const customer = await registerAndLogin(api, "trace");
    expect(
      (await api.post("/v1/cart/items", { productId: product!.id, quantity: 1 }, { token: customer.token })).status,
    ).toBe(200);
    const traceId = randomUUID().replaceAll("-", "");
    const answer = await api.post<{ order: Order }>("/v1/checkout", checkoutBody(), {
      token: customer.token,
      headers: { "idempotency-key": randomUUID(), traceparent: `00-${traceId}-${"ab".repeat(8)}-01` },
    });
    expect([201, 202], answer.text).toContain(answer.status);
    const email = await expect
      .poll(() => smtp.emails.find((e) => e.to.includes(customer.email)), { timeout: 30_000, interval: 200 })
      .toBeDefined()
      .then(() => smtp.emails.find((e) => e.to.includes(customer.email))!);
    log(`trace ${traceId}: email traceparent ${email.traceparent}`);
    expect(email.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    await expect
      .poll(() => hooks.deliveries.filter((d) => d.traceparent?.includes(traceId)).length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
  }, 90_000);

  it("every order terminal, stock conserved, ledger balanced, one capture per confirmed order, one email and one webhook per endpoint, analytics equal", async () => {
    const products = await claimProducts(api, 8, (p) => p.available >= 1);
    const skus = products.map((p) => p.sku);
    // Arrange: enough stock that no checkout of the stream can run out (1.5 units on average each).
    await db("inventory").query("update stock set on_hand = on_hand + $2 where sku = any($1)", [skus, CHECKOUTS]);
    const stockBefore = new Map(
      (
        await db("inventory").query<{ sku: string; on_hand: string }>(
          "select sku, on_hand from stock where sku = any($1)",
          [skus],
        )
      ).rows.map((r) => [r.sku, Number(r.on_hand)]),
    );
    const committedBefore = await committedBySku(db("inventory"), skus);

    // 8 customers per worker: about 5 checkouts each, under the fraud velocity limit (10 per 10 min).
    const customers = await pool(
      Array.from({ length: WORKERS * 8 }, (_, i) => i),
      4,
      (i) => registerAndLogin(api, `chaos-${i}`),
    );
    const checkouts: Checkout[] = Array.from({ length: CHECKOUTS }, (_, i) => ({
      customer: customers[i % customers.length]!,
      key: randomUUID(),
      declined: i % 7 === 3,
      tries: 0,
      answers: [],
    }));

    // The chaos: random SIGKILLs until the stream ends; each broker and PostgreSQL restarted once.
    let streaming = true;
    const kills: Record<string, number> = {};
    const restarts: string[] = [];
    const killer = (async () => {
      await delay(2_000);
      while (streaming) {
        const victims = (await pm2List().catch(() => [])).filter((p) => p.status === "online" && p.pid > 0);
        const victim = victims[Math.floor(Math.random() * victims.length)];
        if (victim !== undefined) {
          try {
            process.kill(victim.pid, "SIGKILL");
            kills[victim.name] = (kills[victim.name] ?? 0) + 1;
          } catch {
            // It died by itself meanwhile.
          }
        }
        // A restarted process needs a few seconds of CPU to load and start on two cores: one kill
        // every 3–7 s keeps several processes restarting at any moment without starving them all.
        await delay(3_000 + Math.random() * 4_000);
      }
    })();
    const restartOnce = async (what: "kafka" | "rabbitmq" | "postgres", atCompleted: number) => {
      while (streaming && completed < atCompleted) await delay(200);
      if (!streaming) return;
      const t0 = performance.now();
      if (what === "postgres") {
        await stopPostgres();
        await delay(1_000);
        await startBacking();
      } else {
        const lines: string[] = [];
        const code = await runServicesCommand(["restart", what], { log: (line) => lines.push(line) });
        if (code !== 0) throw new Error(`restart ${what} failed: ${lines.join("\n")}`);
      }
      restarts.push(`${what} ${(performance.now() - t0).toFixed(0)} ms at checkout ${atCompleted}`);
    };
    let completed = 0;
    const brokerChaos = Promise.all([
      restartOnce("kafka", Math.floor(CHECKOUTS * 0.2)),
      restartOnce("rabbitmq", Math.floor(CHECKOUTS * 0.45)),
      restartOnce("postgres", Math.floor(CHECKOUTS * 0.7)),
    ]);

    const streamStarted = performance.now();
    // Checkout i belongs to worker i mod WORKERS and customer i mod (8·WORKERS): a customer's cart
    // is only ever touched by one worker, one checkout at a time.
    await pool(
      Array.from({ length: WORKERS }, (_, w) => w),
      WORKERS,
      async (w) => {
        for (let i = w; i < checkouts.length; i += WORKERS) {
          const c = checkouts[i]!;
          const product = products[i % products.length]!;
          const body = checkoutBody(c.declined ? TEST_CARDS.cardDeclined : TEST_CARDS.success);
          let answer: ApiResponse<{ order: Order }>;
          for (;;) {
            // POST adds to the cart (a blind retry may add twice: the cart takes no Idempotency-Key yet).
            const added = await persist(
              () =>
                api.post(
                  "/v1/cart/items",
                  { productId: product.id, quantity: 1 + (i % 2) },
                  { token: c.customer.token },
                ),
              120_000,
            );
            expect(added.status, `cart of checkout ${i}: ${added.text}`).toBe(200);
            answer = await persist(
              () => {
                c.tries++;
                return api.post<{ order: Order }>("/v1/checkout", body, {
                  token: c.customer.token,
                  headers: { "idempotency-key": c.key },
                });
              },
              120_000,
              c.answers,
            );
            // A previous order's saga may clear the cart late (its clear step retried across a
            // kill): no order was made, so fill the cart again and retry with a new key.
            if (answer.status === 409 && /ORDERS_CART_EMPTY/.test(answer.text)) {
              c.key = randomUUID();
              continue;
            }
            break;
          }
          expect([201, 202], `checkout ${i} (${c.answers.join(",")}): ${answer.text}`).toContain(answer.status);
          c.orderId = answer.body.order.id;
          completed++;
        }
      },
    );
    streaming = false;
    const streamMs = performance.now() - streamStarted;
    await killer;
    await brokerChaos;
    log(
      `stream: ${CHECKOUTS} checkouts acknowledged in ${(streamMs / 1000).toFixed(1)} s; client retries ${checkouts.reduce((n, c) => n + c.tries - 1, 0)}; ` +
        `kills ${JSON.stringify(kills)} (${Object.values(kills).reduce((a, b) => a + b, 0)} in all); restarts: ${restarts.join(", ")}`,
    );
    expect(restarts).toHaveLength(3);
    const orderIds = checkouts.map((c) => c.orderId!);
    expect(new Set(orderIds).size).toBe(CHECKOUTS);

    // Bring every process back (pm2 restarts the killed ones; `up` waits for readiness).
    await clusterUp({ env });

    // 1. Every order terminal, and its saga done: a CONFIRMED order still captures its payment
    //    and clears its cart afterwards (phase "capturing"), retried until payments answers.
    const settleStarted = performance.now();
    const orders = await waitFor(
      async () => {
        const rows = (
          await db("orders").query<{
            id: string;
            status: string;
            cancellation_reason: string | null;
            total_minor: string;
            currency: string;
            saga_phase: string;
          }>(
            "select id, status, cancellation_reason, total_minor, currency, saga_phase from orders where id = any($1)",
            [orderIds],
          )
        ).rows;
        return rows.length === CHECKOUTS && rows.every((r) => r.status !== "PENDING" && r.saga_phase === "done")
          ? rows
          : undefined;
      },
      180_000,
      "every order terminal and its saga done",
    );
    const confirmed = orders.filter((o) => o.status === "CONFIRMED");
    const cancelled = orders.filter((o) => o.status === "CANCELLED");
    const reasons: Record<string, number> = {};
    for (const o of cancelled) reasons[o.cancellation_reason ?? "?"] = (reasons[o.cancellation_reason ?? "?"] ?? 0) + 1;
    log(
      `orders: ${confirmed.length} CONFIRMED, ${cancelled.length} CANCELLED ${JSON.stringify(reasons)}, all terminal with their sagas done ${((performance.now() - settleStarted) / 1000).toFixed(1)} s after the stream`,
    );
    expect(confirmed.length + cancelled.length).toBe(CHECKOUTS);
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const c of checkouts.filter((x) => x.declined)) {
      const o = byId.get(c.orderId!)!;
      expect([o.status, o.cancellation_reason], `declined order ${o.id}`).toEqual(["CANCELLED", "card_declined"]);
    }

    // 2. Stock conserved: on hand before = on hand now + committed since; nothing left reserved.
    const inventory = db("inventory");
    const held = await waitFor(
      async () => {
        const rows = (
          await inventory.query<{ n: string }>(
            "select count(*) n from reservations where order_id = any($1) and status = 'HELD'",
            [orderIds],
          )
        ).rows;
        return Number(rows[0]!.n) === 0 ? 0 : undefined;
      },
      60_000,
      "no reservation of the run left HELD",
    );
    const committedAfter = await committedBySku(inventory, skus);
    const stockAfter = (
      await inventory.query<{ sku: string; on_hand: string; reserved: string }>(
        "select sku, on_hand, reserved from stock where sku = any($1)",
        [skus],
      )
    ).rows;
    const linesBySku = new Map<string, number>();
    for (const row of (
      await db("orders").query<{ sku: string; q: string }>(
        "select l.sku, sum(l.quantity) q from order_lines l join orders o on o.id = l.order_id where o.id = any($1) and o.status = 'CONFIRMED' group by l.sku",
        [orderIds],
      )
    ).rows)
      linesBySku.set(row.sku, Number(row.q));
    for (const s of stockAfter) {
      const committed = (committedAfter.get(s.sku) ?? 0) - (committedBefore.get(s.sku) ?? 0);
      expect(Number(s.on_hand) + committed, `stock of ${s.sku}`).toBe(stockBefore.get(s.sku));
      expect(Number(s.reserved), `reserved ${s.sku}`).toBe(0);
      expect(committed, `committed ${s.sku} = confirmed order lines`).toBe(linesBySku.get(s.sku) ?? 0);
    }
    log(`stock: ${skus.length} SKUs conserved (on hand + committed = initial), ${held} reservations held`);

    // 3. Ledger balanced; exactly one capture per confirmed order, none for a cancelled one.
    const payments = db("payments");
    const unbalanced = (
      await payments.query<{ n: string }>(
        `select count(*) n from (select t.id from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
           group by t.id having sum(case when e.direction = 'debit' then e.amount_minor else -e.amount_minor end) <> 0) x`,
      )
    ).rows[0]!.n;
    const ledgerTransactions = (await payments.query<{ n: string }>("select count(*) n from ledger_transactions"))
      .rows[0]!.n;
    expect(Number(unbalanced)).toBe(0);
    const captures = new Map(
      (
        await payments.query<{ order_id: string; captures: string; status: string }>(
          `select p.order_id, p.status, count(t.id) filter (where t.kind = 'capture') captures
             from payments p left join ledger_transactions t on t.payment_id = p.id
            where p.order_id = any($1) group by p.order_id, p.status`,
          [orderIds],
        )
      ).rows.map((r) => [r.order_id, { captures: Number(r.captures), status: r.status }]),
    );
    for (const o of confirmed) {
      expect(
        captures.get(o.id)?.captures,
        `captures of confirmed ${o.id} (payment ${captures.get(o.id)?.status})`,
      ).toBe(1);
    }
    for (const o of cancelled) expect(captures.get(o.id)?.captures ?? 0, `captures of cancelled ${o.id}`).toBe(0);
    const dangling = cancelled.filter((o) => captures.get(o.id)?.status === "AUTHORIZED");
    await waitFor(
      async () => {
        const rows = (
          await payments.query<{ n: string }>(
            "select count(*) n from payments where order_id = any($1) and status = 'AUTHORIZED'",
            [cancelled.map((o) => o.id)],
          )
        ).rows;
        return Number(rows[0]!.n) === 0 ? true : undefined;
      },
      60_000,
      "no authorization left for a cancelled order",
    );
    log(
      `ledger: ${ledgerTransactions} transactions, ${unbalanced} unbalanced; captures: ${confirmed.length} confirmed orders × 1, ${cancelled.length} cancelled × 0; ${dangling.length} authorizations of cancelled orders voided by the event consumer`,
    );

    // 4. One email per confirmed order and one delivered webhook per endpoint, deduplicated by event id.
    const confirmedIds = new Set(confirmed.map((o) => o.id));
    const emailsOf = () => {
      const byOrder = new Map<string, Set<string>>();
      for (const e of smtp.emails) {
        const orderId = e.orderId;
        if (orderId === undefined || !confirmedIds.has(orderId) || e.eventId === undefined) continue;
        if (!/confirm/i.test(e.subject ?? "")) continue;
        let set = byOrder.get(orderId);
        if (set === undefined) byOrder.set(orderId, (set = new Set()));
        set.add(e.eventId);
      }
      return byOrder;
    };
    await waitFor(
      async () => (emailsOf().size === confirmed.length ? true : undefined),
      180_000,
      "an email for every confirmed order",
    );
    const emails = emailsOf();
    for (const id of confirmedIds) expect(emails.get(id)?.size, `distinct confirmation emails of ${id}`).toBe(1);
    const webhooksOf = (endpoint: string) => {
      const byOrder = new Map<string, Set<string>>();
      for (const d of hooks.deliveries) {
        if (d.endpoint !== endpoint || d.type !== "order.confirmed" || d.eventId === undefined) continue;
        const orderId = JSON.stringify(d.body ?? {})
          .match(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g)
          ?.find((id) => confirmedIds.has(id));
        if (orderId === undefined) continue;
        expect(d.signatureValid, `signature of ${d.eventId} to ${endpoint}`).toBe(true);
        let set = byOrder.get(orderId);
        if (set === undefined) byOrder.set(orderId, (set = new Set()));
        set.add(d.eventId);
      }
      return byOrder;
    };
    for (const endpoint of ["alpha", "beta"]) {
      await waitFor(
        async () => (webhooksOf(endpoint).size === confirmed.length ? true : undefined),
        180_000,
        `a webhook to ${endpoint} for every confirmed order`,
      );
      for (const id of confirmedIds)
        expect(webhooksOf(endpoint).get(id)?.size, `webhooks of ${id} to ${endpoint}`).toBe(1);
    }
    const emailCopies = smtp.emails.filter((e) => /confirm/i.test(e.subject ?? "")).length;
    const hookCopies = hooks.deliveries.filter((d) => d.type === "order.confirmed").length;
    log(
      `notifications: ${emails.size} confirmed orders × 1 email (${emailCopies} SMTP messages incl. redeliveries); ` +
        `webhooks alpha ${webhooksOf("alpha").size}, beta ${webhooksOf("beta").size} × 1 (${hookCopies} POSTs incl. redeliveries), all signatures valid`,
    );

    // 5. Analytics totals equal the orders table.
    const analytics = db("analytics");
    const expected = {
      confirmed: confirmed.length,
      revenue: confirmed.reduce((n, o) => n + Number(o.total_minor), 0),
      cancelled: cancelled.length,
    };
    const got = await waitFor(
      async () => {
        const row = (
          await analytics.query<{ confirmed: string; revenue: string | null; cancelled: string }>(
            `select count(*) filter (where status = 'confirmed') confirmed,
                    sum(total_minor) filter (where status = 'confirmed') revenue,
                    count(*) filter (where status = 'cancelled') cancelled
               from order_facts where order_id = any($1)`,
            [orderIds],
          )
        ).rows[0]!;
        const now = {
          confirmed: Number(row.confirmed),
          revenue: Number(row.revenue ?? 0),
          cancelled: Number(row.cancelled),
        };
        return now.confirmed === expected.confirmed && now.cancelled === expected.cancelled ? now : undefined;
      },
      120_000,
      "analytics caught up with the orders table",
    );
    expect(got).toEqual(expected);
    // Order confirmed (event time) → analytics updated (applied), for this run's orders.
    const lag = (
      await analytics.query<{ p50: number; p99: number; max: number; n: string }>(
        `select percentile_cont(0.5) within group (order by confirmed_lag_ms) p50,
                percentile_cont(0.99) within group (order by confirmed_lag_ms) p99,
                max(confirmed_lag_ms) max, count(confirmed_lag_ms) n
           from order_facts where order_id = any($1)`,
        [orderIds],
      )
    ).rows[0]!;
    log(
      `analytics: ${got.confirmed} confirmed, revenue ${got.revenue} minor units, ${got.cancelled} cancelled — equal to the orders table; ` +
        `event lag order confirmed → analytics updated: p50 ${Math.round(lag.p50)} ms, p99 ${Math.round(lag.p99)} ms, max ${lag.max} ms (n=${lag.n}, under chaos)`,
    );
    expect(Number(lag.n)).toBeGreaterThan(0);
  }, 900_000);
});

/** Polls `probe` until it returns a value (not undefined), within `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await delay(500);
  }
}

/** Units committed per SKU (COMMITTED reservations' lines). */
async function committedBySku(inventory: pg.Pool, skus: readonly string[]): Promise<Map<string, number>> {
  const rows = (
    await inventory.query<{ sku: string; q: string }>(
      `select l.sku, sum(l.quantity) q from reservation_lines l join reservations r on r.order_id = l.order_id
        where r.status = 'COMMITTED' and l.sku = any($1) group by l.sku`,
      [skus],
    )
  ).rows;
  return new Map(rows.map((r) => [r.sku, Number(r.q)]));
}
