import { currentTraceCarrier } from "@souk/platform";
import type { WebhookRequest, WebhookSender } from "../domain/ports.ts";

/**
 * The webhook sender: `fetch` (Node's undici) POSTing the exact body, with the active W3C trace
 * context as `traceparent`/`tracestate`. Redirects are not followed (a 3xx is a failed attempt:
 * the endpoint's registered URL is the one that was vetted, and a redirect would resend the
 * signed body elsewhere). The response body is read (up to its end) and discarded so the
 * connection can be reused.
 *
 * @throws Error `endpoint did not answer within <n> ms` on a timeout, or `endpoint unreachable: <cause>`.
 */
export function createWebhookSender(): WebhookSender {
  return {
    async post(request: WebhookRequest) {
      const trace = currentTraceCarrier();
      const headers: Record<string, string> = { ...request.headers };
      if (trace.traceparent !== undefined) headers["traceparent"] = trace.traceparent;
      if (trace.tracestate !== undefined) headers["tracestate"] = trace.tracestate;
      const signal = AbortSignal.timeout(request.timeoutMs);
      try {
        const response = await fetch(request.url, {
          method: "POST",
          headers,
          body: request.body,
          redirect: "manual",
          signal,
        });
        await response.arrayBuffer();
        return { status: response.status };
      } catch (error) {
        if (signal.aborted) throw new Error(`endpoint did not answer within ${request.timeoutMs} ms`, { cause: error });
        const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
        const detail = typeof cause?.code === "string" ? cause.code : error instanceof Error ? error.message : "error";
        throw new Error(`endpoint unreachable: ${detail}`, { cause: error });
      }
    },
  };
}
