// The shop's Transport (apps/souk/src/shop/http.transport.ts) over an undici pool that trusts a
// given CA: lets the bench prepare customers with the shop's own API client, by import, against
// the cluster's TLS edge without turning certificate checks off.
import { Pool } from "undici";
import { TransportError, type Transport } from "../../apps/souk/src/shop/http.transport.ts";

/** A Transport to `origin` over `connections` keep-alive connections; `caPem` is trusted for https. */
export function undiciTransport(origin: string, connections: number, caPem?: string): Transport {
  const pool = new Pool(origin, { connections, ...(caPem === undefined ? {} : { connect: { ca: caPem } }) });
  return {
    async send(request) {
      const where = `${request.method} ${request.url.pathname}`;
      try {
        const response = await pool.request({
          method: request.method,
          path: `${request.url.pathname}${request.url.search}`,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(request.timeoutMs),
        });
        const header = (name: string) => {
          const value = response.headers[name];
          return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
        };
        return {
          status: response.statusCode,
          contentType: header("content-type") ?? "",
          retryAfter: header("retry-after"),
          body: await response.body.text(),
        };
      } catch (error) {
        if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
          throw new TransportError("timeout", `no answer to ${where} within ${request.timeoutMs} ms`, error);
        }
        const reason =
          error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
        throw new TransportError("network", `${where} failed: ${reason}`, error);
      }
    },
    close() {
      void pool.close();
    },
  };
}
