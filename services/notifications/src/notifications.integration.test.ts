import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { UsersService } from "@souk/contracts/identity";
import { DeliveryStatus, NotificationsService } from "@souk/contracts/notifications";
import {
  createInProcessEventLog,
  createInProcessJobQueue,
  EVENTS,
  newEvent,
  TOPIC_SPECS,
  TOPICS,
  type InProcessEventLog,
  type JobQueue,
} from "@souk/messaging";
import {
  currentTraceId,
  inProcessClient,
  initTracing,
  loadConfig,
  newId,
  SpanKind,
  systemClock,
  withSpan,
  type SqlDatabase,
} from "@souk/platform";
import { openTestDatabase, testLogger } from "@souk/platform/testing";
// eslint-disable-next-line no-restricted-imports -- tests compose the real neighbouring services
import { createIdentityService, IdentityConfig, type IdentityService } from "../../identity/src/index.ts";
import { deliveryJob, QUEUES } from "./events/delivery-jobs.ts";
import { createNotificationsService, NotificationsConfig, verifyWebhookSignature } from "./index.ts";

/** Attempts at a webhook in this file (the service default is 8). */
const WEBHOOK_MAX_ATTEMPTS = 3;

interface ReceivedHook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/** Polls `probe` every 20 ms until it returns a value other than undefined (or fails after `timeoutMs`: CI may be loaded). */
async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const traceIdOf = (traceparent: unknown): string | undefined =>
  typeof traceparent === "string" ? traceparent.split("-")[1] : undefined;

const usd = (amountMinor: number) => ({ amountMinor: BigInt(amountMinor), currency: "USD" });

describe("notifications, end to end in-process (PGlite, in-process event log and job queue, SMTP sink, identity)", () => {
  let database: SqlDatabase;
  let identity: IdentityService;
  let eventLog: InProcessEventLog;
  let jobQueue: JobQueue;
  let smtp: SMTPServer;
  let receiver: Server;
  let notifications: Awaited<ReturnType<typeof createNotificationsService>>;
  let client: Client<typeof NotificationsService>;
  let customer: { id: string; email: string; name: string };
  let endpoint: { id: string; secret: string };
  const mails: ParsedMail[] = [];
  const hooks: ReceivedHook[] = [];
  /** What the webhook receiver answers, and how long it holds each request first (ms). */
  let answer = 200;
  let holdMs = 0;
  /** Webhook requests received so far (counted on arrival, before the hold). */
  let arrivals = 0;

  const mailsFor = (eventId: string) => mails.filter((m) => m.messageId === `<${eventId}@souk>`);
  const hooksFor = (eventId: string) => hooks.filter((h) => h.headers["souk-event-id"] === eventId);

  /** Publishes an OrderConfirmed for `orderId` inside a "checkout" span; resolves the event and its trace id. */
  async function confirmOrder(orderId: string, userId = customer.id) {
    return withSpan("POST /v1/checkout", SpanKind.SERVER, undefined, async () => {
      const { event } = newEvent(
        EVENTS.orderConfirmed,
        {
          orderId,
          userId,
          lines: [
            { productId: "p-1", sku: "MUG-1", name: "Mug", quantity: 2, unitPrice: usd(1250), lineTotal: usd(2500) },
          ],
          total: usd(2500),
          placedAt: timestampFromDate(new Date()),
          confirmedAt: timestampFromDate(new Date()),
        },
        { source: "/souk/orders", subject: orderId, time: new Date() },
      );
      await eventLog.publish(TOPICS.orders, [event]);
      return { event, traceId: currentTraceId() };
    });
  }

  async function deliveriesOf(orderId: string) {
    return (await client.listDeliveries({ orderId })).deliveries;
  }

  beforeAll(async () => {
    initTracing({ serviceName: "notifications-test" });
    database = await openTestDatabase();
    const logger = testLogger();
    eventLog = createInProcessEventLog({ logger });
    jobQueue = createInProcessJobQueue({ logger });
    await eventLog.ensureTopics(TOPIC_SPECS);
    identity = await createIdentityService({
      database,
      config: loadConfig(IdentityConfig, {}),
      logger,
      clock: systemClock,
      eventLog,
    });
    const users = inProcessClient(UsersService, identity.users);
    const registered = await users.registerUser({
      email: "ada@example.com",
      password: "correct horse battery staple",
      name: "Ada Lovelace",
    });
    if (registered.user === undefined) throw new Error("no user registered");
    customer = registered.user;

    smtp = new SMTPServer({
      authOptional: true,
      hideSTARTTLS: true,
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            mails.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        arrivals += 1;
        const status = answer;
        setTimeout(() => {
          hooks.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), status });
          response.writeHead(status).end();
        }, holdMs);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const receiverPort = (receiver.address() as AddressInfo).port;

    notifications = await createNotificationsService({
      database,
      config: loadConfig(NotificationsConfig, {
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: String(WEBHOOK_MAX_ATTEMPTS),
        NOTIFICATIONS_RETRY_BASE_MS: "20",
        NOTIFICATIONS_RETRY_MAX_MS: "80",
        NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: "2000",
        NOTIFICATIONS_SMTP_TIMEOUT_MS: "2000",
      }),
      logger,
      clock: systemClock,
      eventLog,
      jobQueue,
      users,
    });
    await notifications.start();
    client = inProcessClient(NotificationsService, notifications.handlers);
    const created = await client.createWebhookEndpoint({
      url: `http://127.0.0.1:${receiverPort}/souk-hooks`,
      eventTypes: ["order.confirmed"],
    });
    if (created.endpoint === undefined) throw new Error("no endpoint");
    endpoint = { id: created.endpoint.id, secret: created.secret };
  });

  afterAll(async () => {
    await notifications?.stop();
    await eventLog?.close();
    await jobQueue?.close();
    await identity?.stop();
    await new Promise<void>((resolve) => (smtp === undefined ? resolve() : smtp.close(resolve)));
    await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())));
    await database?.close();
  });

  it("a confirmed order emails its customer once and delivers one signed webhook, in the checkout's trace", async () => {
    const orderId = newId();
    const { event, traceId } = await confirmOrder(orderId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const delivered = await eventually(async () => {
      const deliveries = await deliveriesOf(orderId);
      return deliveries.length === 2 && deliveries.every((d) => d.status === DeliveryStatus.SENT)
        ? deliveries
        : undefined;
    });
    expect(delivered.map((d) => d.attempts)).toEqual([1, 1]);

    const [mail] = mailsFor(event.id);
    expect(mailsFor(event.id)).toHaveLength(1);
    expect(mail?.to).toMatchObject({ value: [{ address: "ada@example.com", name: "Ada Lovelace" }] });
    expect(mail?.subject).toMatch(/^Your Souk order [0-9A-F]{12} is confirmed$/);
    expect(mail?.text).toContain("2 × Mug (MUG-1): USD 25.00");
    expect(mail?.text).toContain("Total: USD 25.00");
    expect(mail?.headers.get("x-souk-event-id")).toBe(event.id);
    expect(mail?.headers.get("x-souk-delivery-id")).toBe(delivered.find((d) => d.endpointId === "")?.id);
    // The checkout's trace id travels event → consumer → outbox → job → the email's traceparent.
    expect(traceIdOf(mail?.headers.get("traceparent"))).toBe(traceId);

    const [hook] = hooksFor(event.id);
    expect(hooksFor(event.id)).toHaveLength(1);
    expect(hook?.headers["content-type"]).toBe("application/json");
    expect(hook?.headers["user-agent"]).toBe("Souk-Webhooks/1");
    expect(hook?.headers["souk-delivery-id"]).toBe(delivered.find((d) => d.endpointId === endpoint.id)?.id);
    expect(traceIdOf(hook?.headers["traceparent"])).toBe(traceId);
    const signature = String(hook?.headers["souk-signature"]);
    expect(verifyWebhookSignature(endpoint.secret, signature, hook?.body ?? "", 300, new Date())).toMatchObject({
      valid: true,
    });
    expect(verifyWebhookSignature("whsec_wrong", signature, hook?.body ?? "", 300, new Date()).valid).toBe(false);
    expect(JSON.parse(hook?.body ?? "{}")).toMatchObject({
      id: event.id,
      type: "order.confirmed",
      created: Math.floor(event.time.getTime() / 1000),
      data: {
        object: "order",
        orderId,
        userId: customer.id,
        status: "confirmed",
        total: { amount: 2500, currency: "USD" },
        lines: [{ sku: "MUG-1", quantity: 2, lineTotal: { amount: 2500, currency: "USD" } }],
      },
    });
  });

  it("a redelivered event is a no-op: no second email, no second webhook", async () => {
    const orderId = newId();
    const { event } = await confirmOrder(orderId);
    await eventually(() => (mailsFor(event.id).length === 1 && hooksFor(event.id).length === 1 ? true : undefined));
    // The same event again (at-least-once delivery), then a refund of the same order: events of
    // one subject are handled in order, so once the refund's email is out the duplicate was handled.
    await eventLog.publish(TOPICS.orders, [event]);
    const refund = newEvent(
      EVENTS.orderRefunded,
      { orderId, userId: customer.id, reason: "customer_requested", total: usd(2500) },
      { source: "/souk/orders", subject: orderId, time: new Date() },
    ).event;
    await eventLog.publish(TOPICS.orders, [refund]);
    const [refundMail] = await eventually(() => (mailsFor(refund.id).length > 0 ? mailsFor(refund.id) : undefined));
    expect(refundMail?.subject).toMatch(/was refunded$/);
    expect(refundMail?.text).toContain("We refunded USD 25.00 to your card");

    expect(mailsFor(event.id)).toHaveLength(1);
    expect(hooksFor(event.id)).toHaveLength(1);
    // The endpoint subscribes to order.confirmed only: the refund emailed, and posted nothing.
    expect(hooksFor(refund.id)).toHaveLength(0);
    // The sink has the refund's email a moment before its sender records the delivery as sent.
    const deliveries = await eventually(async () => {
      const current = await deliveriesOf(orderId);
      return current.every((d) => d.status !== DeliveryStatus.PENDING) ? current : undefined;
    });
    expect(deliveries.map((d) => [d.eventType, d.endpointId === "" ? "email" : "webhook", d.status])).toEqual([
      ["order.confirmed", "email", DeliveryStatus.SENT],
      ["order.confirmed", "webhook", DeliveryStatus.SENT],
      ["order.refunded", "email", DeliveryStatus.SENT],
    ]);
  });

  it("a duplicate job meeting another worker's lease is put back, not counted: no dead letter, one webhook", async () => {
    holdMs = 800;
    try {
      const orderId = newId();
      const arrivedBefore = arrivals;
      const { event } = await confirmOrder(orderId);
      // The first attempt is at the endpoint, which holds it: its worker holds the lease.
      await eventually(() => (arrivals > arrivedBefore ? true : undefined));
      const delivery = (await deliveriesOf(orderId)).find((d) => d.endpointId === endpoint.id);
      expect(delivery?.status).toBe(DeliveryStatus.PENDING);
      // Duplicates of its job (a redelivery, the sweeper's re-enqueue). Retried as failures, each
      // would spend its 3 attempts (20–80 ms apart) and be dead-lettered well within the hold.
      const duplicate = () => deliveryJob(delivery!.id, "webhook", newId(), new Date(), {});
      await jobQueue.enqueue(QUEUES.webhook, [duplicate(), duplicate(), duplicate()]);

      const sent = await eventually(async () => {
        const current = (await deliveriesOf(orderId)).find((d) => d.id === delivery!.id);
        return current?.status === DeliveryStatus.SENT ? current : undefined;
      });
      expect(sent.attempts).toBe(1);
      expect(hooksFor(event.id).map((h) => h.status)).toEqual([200]);
      const { deadLetters } = await client.listDeadLetters({});
      expect(deadLetters.filter((d) => d.delivery?.id === delivery!.id)).toEqual([]);
    } finally {
      holdMs = 0;
    }
  });

  it("a failing endpoint is retried, then dead-lettered; a replay delivers once it is fixed", async () => {
    answer = 500;
    const orderId = newId();
    const { event } = await confirmOrder(orderId);
    const dead = await eventually(async () => {
      const { deadLetters } = await client.listDeadLetters({});
      return deadLetters.find((d) => d.delivery?.eventId === event.id);
    });
    expect(hooksFor(event.id).map((h) => h.status)).toEqual([500, 500, 500]);
    // Each attempt is signed anew and verifies.
    for (const hook of hooksFor(event.id)) {
      expect(verifyWebhookSignature(endpoint.secret, String(hook.headers["souk-signature"]), hook.body).valid).toBe(
        true,
      );
    }
    expect(dead).toMatchObject({
      queue: "notifications.webhook",
      reason: "max_attempts: endpoint answered 500",
      attempts: WEBHOOK_MAX_ATTEMPTS,
      replayedAtMs: 0n,
      delivery: {
        status: DeliveryStatus.DEAD,
        attempts: WEBHOOK_MAX_ATTEMPTS,
        endpointId: endpoint.id,
        lastError: "endpoint answered 500",
      },
    });
    // The customer's email does not depend on the endpoint.
    await eventually(() => (mailsFor(event.id).length === 1 ? true : undefined));

    answer = 204;
    const { deadLetter } = await client.replayDeadLetter({ deadLetterId: dead.id });
    expect(deadLetter?.replayedAtMs).toBeGreaterThan(0n);
    const sent = await eventually(async () => {
      const delivery = (await deliveriesOf(orderId)).find((d) => d.endpointId === endpoint.id);
      return delivery?.status === DeliveryStatus.SENT ? delivery : undefined;
    });
    expect(sent).toMatchObject({ attempts: WEBHOOK_MAX_ATTEMPTS + 1, lastError: "" });
    expect(hooksFor(event.id).map((h) => h.status)).toEqual([500, 500, 500, 204]);

    const again = await client.replayDeadLetter({ deadLetterId: dead.id }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConnectError);
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((again as ConnectError).metadata.get("souk-error-code")).toBe("NOTIFICATIONS_DEAD_LETTER_REPLAYED");
  });

  it("a poison event is dead-lettered without stopping the consumer", async () => {
    const orderId = newId();
    const poison = newEvent(
      EVENTS.orderConfirmed,
      { orderId, userId: customer.id, total: usd(1) },
      { source: "/souk/orders", subject: orderId, time: new Date() },
    ).event;
    await eventLog.publish(TOPICS.orders, [{ ...poison, data: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }]);
    // The next event of the same order (same partition, handled after the poison) still goes out.
    const { event } = await confirmOrder(orderId);
    await eventually(() => (mailsFor(event.id).length === 1 ? true : undefined));
    const dlq = eventLog.deadLetters(TOPICS.orders).filter((d) => d.event.id === poison.id);
    expect(dlq.map((d) => [d.deadLetter.reason, d.deadLetter.group])).toEqual([["malformed_payload", "notifications"]]);
    expect(mailsFor(poison.id)).toHaveLength(0);
  });

  it("an order of a user identity does not know is dead-lettered at once (recipient_not_found)", async () => {
    answer = 204;
    const orderId = newId();
    const { event } = await confirmOrder(orderId, newId());
    const dead = await eventually(async () => {
      const { deadLetters } = await client.listDeadLetters({});
      return deadLetters.find((d) => d.delivery?.eventId === event.id && d.queue === "notifications.email");
    });
    expect(dead).toMatchObject({
      reason: "recipient_not_found",
      attempts: 1,
      delivery: { status: DeliveryStatus.DEAD },
    });
    await eventually(() => (hooksFor(event.id).some((h) => h.status === 204) ? true : undefined));
  });

  it("validates and manages webhook endpoints through the gRPC API", async () => {
    const invalid = await client
      .createWebhookEndpoint({ url: "ftp://example.com/hook", eventTypes: ["order.shipped"] })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ConnectError);
    expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);
    expect(JSON.parse((invalid as ConnectError).metadata.get("souk-error-fields") ?? "[]")).toEqual([
      { field: "url", message: "must be an http or https URL" },
      { field: "event_types[0]", message: 'unknown event type "order.shipped"' },
    ]);

    const created = await client.createWebhookEndpoint({ url: "https://hooks.example.com/a", eventTypes: ["*"] });
    expect(created.secret).toMatch(/^whsec_/);
    const { endpoints } = await client.listWebhookEndpoints({});
    expect(endpoints.map((e) => e.id)).toEqual([created.endpoint?.id, endpoint.id]);
    const deleted = await client.deleteWebhookEndpoint({ id: created.endpoint?.id ?? "" });
    expect(deleted.endpoint?.active).toBe(false);
    const missing = await client.deleteWebhookEndpoint({ id: newId() }).catch((e: unknown) => e);
    expect((missing as ConnectError).code).toBe(Code.NotFound);

    const page = await client.listDeadLetters({ limit: 1 });
    expect(page.deadLetters).toHaveLength(1);
    expect(page.nextCursor).toBe(page.deadLetters[0]?.id);
    const next = await client.listDeadLetters({ limit: 1, cursor: page.nextCursor });
    expect(next.deadLetters[0]?.id).not.toBe(page.deadLetters[0]?.id);
    const badCursor = await client.listDeadLetters({ cursor: "nope" }).catch((e: unknown) => e);
    expect((badCursor as ConnectError).code).toBe(Code.InvalidArgument);
  });
});
