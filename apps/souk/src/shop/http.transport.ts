// How the shop puts a request on the wire: Node's global fetch, or node:https when a self-signed
// certificate must be accepted (fetch's TLS settings cannot be changed without the undici package).
import { Agent, request as httpsRequest } from "node:https";

/** One HTTP request. `timeoutMs` bounds the whole exchange, body included. */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/** One HTTP answer, body read in full. */
export interface TransportReply {
  readonly status: number;
  readonly contentType: string;
  /** The `Retry-After` header, if any. */
  readonly retryAfter: string | null;
  readonly body: string;
}

/** Sends requests; `close()` releases pooled connections. Rejects on a timeout or network failure. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportReply>;
  close(): void;
}

/** A request that got no answer: `timeout` when `timeoutMs` passed, `network` otherwise. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly kind: "timeout" | "network";

  constructor(kind: "timeout" | "network", message: string, cause: unknown) {
    super(message, { cause });
    this.kind = kind;
  }
}

/**
 * The transport for `baseUrl`: node:https accepting any certificate when `insecure` and the URL
 * is https, else fetch. Redirects are never followed, so nothing but the base URL is contacted.
 */
export function createTransport(baseUrl: string, insecure: boolean, maxSockets: number): Transport {
  return insecure && baseUrl.startsWith("https:") ? insecureHttpsTransport(maxSockets) : fetchTransport();
}

/** Sends through the global fetch (undici), which pools keep-alive connections per origin. */
export function fetchTransport(): Transport {
  return {
    async send(request) {
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: "manual",
          signal: AbortSignal.timeout(request.timeoutMs),
        });
        return {
          status: response.status,
          contentType: response.headers.get("content-type") ?? "",
          retryAfter: response.headers.get("retry-after"),
          body: await response.text(),
        };
      } catch (error) {
        throw transportError(error, request);
      }
    },
    close() {},
  };
}

/** Sends through node:https with certificate verification off (for a local self-signed store). */
export function insecureHttpsTransport(maxSockets: number): Transport {
  const agent = new Agent({ keepAlive: true, maxSockets, rejectUnauthorized: false });
  return {
    send(request) {
      return new Promise<TransportReply>((resolve, reject) => {
        const outgoing = httpsRequest(
          request.url,
          {
            method: request.method,
            headers: request.headers,
            agent,
            signal: AbortSignal.timeout(request.timeoutMs),
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
            incoming.on("error", (error) => reject(transportError(error, request)));
            incoming.on("close", () => {
              if (!incoming.complete) reject(transportError(new Error("connection closed mid-body"), request));
            });
            incoming.on("end", () => {
              const retryAfter = incoming.headers["retry-after"];
              resolve({
                status: incoming.statusCode ?? 0,
                contentType: incoming.headers["content-type"] ?? "",
                retryAfter: typeof retryAfter === "string" ? retryAfter : null,
                body: Buffer.concat(chunks).toString("utf8"),
              });
            });
          },
        );
        outgoing.on("error", (error) => reject(transportError(error, request)));
        outgoing.end(request.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function transportError(error: unknown, request: TransportRequest): TransportError {
  const where = `${request.method} ${request.url.pathname}`;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new TransportError("timeout", `no answer to ${where} within ${request.timeoutMs} ms`, error);
  }
  // fetch reports "fetch failed" and keeps the socket error (ECONNREFUSED, …) as the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new TransportError("network", `${where} failed: ${reason}`, error);
}
