// Test peers of notifications: an SMTP sink (smtp-server) that keeps every message's headers,
// and a webhook receiver that verifies Stripe-style signatures and records each delivery.
// Both listen on 127.0.0.1 on a port of the OS's choosing.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One email as the sink received it (headers only; the body is kept raw). */
export interface ReceivedEmail {
  readonly to: string[];
  readonly messageId: string | undefined;
  readonly eventId: string | undefined;
  readonly orderId: string | undefined;
  readonly traceparent: string | undefined;
  readonly subject: string | undefined;
  readonly raw: string;
}

/** A running SMTP sink. */
export interface SmtpSink {
  readonly url: string;
  readonly emails: ReceivedEmail[];
  close(): Promise<void>;
}

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  // Unfold continuation lines (RFC 5322 §2.2.3), then find the field.
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(unfolded);
  return match?.[1]?.trim();
}

/** Starts an SMTP sink accepting any sender and recipient, without TLS or auth. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const emails: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        emails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          messageId: header(raw, "Message-ID"),
          eventId: header(raw, "X-Souk-Event-Id"),
          orderId: header(raw, "X-Souk-Order-Id"),
          traceparent: header(raw, "traceparent"),
          subject: header(raw, "Subject"),
          raw,
        });
        callback();
      });
    },
  });
  // A client killed in the middle of a message (the chaos suite SIGKILLs notifications) resets
  // its connection. Once MAIL FROM was given, smtp-server re-emits that ECONNRESET as an "error"
  // event of the server (tagged with the client's remoteAddress), which with no listener was an
  // uncaught exception in the test process (seen once in a CI rehearsal). The message was not
  // accepted, so notifications sends it again; nothing to record.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    emails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One webhook request as the receiver got it. */
export interface ReceivedWebhook {
  readonly endpoint: string;
  readonly eventId: string | undefined;
  readonly type: string | undefined;
  readonly body: Record<string, unknown> | undefined;
  readonly traceparent: string | undefined;
  readonly signatureValid: boolean;
}

/** A running webhook receiver: `url(name)` is an endpoint; `secrets` are set once registered. */
export interface WebhookReceiver {
  url(endpoint: string): string;
  readonly secrets: Map<string, string>;
  readonly deliveries: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * Verifies `Souk-Signature: t=<unix>,v1=<hex>` = HMAC-SHA256(secret, "<t>.<body>") (Stripe's
 * scheme, https://docs.stripe.com/webhooks#verify-manually), independently of Souk's own code.
 */
export function signatureMatches(secret: string, headerValue: string, body: string): boolean {
  const parts = new Map(headerValue.split(",").map((kv) => kv.split("=", 2) as [string, string]));
  const t = parts.get("t");
  const v1 = parts.get("v1");
  if (t === undefined || v1 === undefined) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Starts a receiver answering 200 to every POST /hooks/<endpoint> (after recording it). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: ReceivedWebhook[] = [];
  const secrets = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const endpoint = (req.url ?? "").replace(/^\/hooks\//, "");
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      const secret = secrets.get(endpoint);
      const signature = req.headers["souk-signature"];
      deliveries.push({
        endpoint,
        eventId: (req.headers["souk-event-id"] as string | undefined) ?? (body?.["id"] as string | undefined),
        type: body?.["type"] as string | undefined,
        body,
        traceparent: req.headers["traceparent"] as string | undefined,
        signatureValid:
          secret !== undefined && typeof signature === "string" && signatureMatches(secret, signature, text),
      });
      res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (endpoint) => `http://127.0.0.1:${port}/hooks/${endpoint}`,
    secrets,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
