import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { currentTraceId, initTracing, shutdownTracing, SpanKind, withSpan } from "./tracing.ts";

/** What an OTLP/HTTP collector received: one line per request. */
interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

describe("initTracing with an OTLP endpoint", () => {
  it("exports finished spans to the collector (exporter module loaded on the first batch)", async () => {
    const received: Received[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        received.push({
          method: request.method,
          url: request.url,
          contentType: request.headers["content-type"],
          body,
        });
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      });
    });
    collector.listen(0, "127.0.0.1");
    await once(collector, "listening");
    const { port } = collector.address() as AddressInfo;
    try {
      initTracing({ serviceName: "tracing-test", otlpEndpoint: `http://127.0.0.1:${port}/v1/traces` });
      const traceId = await withSpan("lazy-exporter-span", SpanKind.INTERNAL, undefined, () => currentTraceId());
      // Flushes the batch: resolves once the exporter has answered for it.
      await shutdownTracing();

      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: "POST", url: "/v1/traces" });
      expect(received[0]?.contentType).toMatch(/^application\/json/);
      const body = received[0]?.body ?? "";
      expect(body).toContain('"name":"lazy-exporter-span"');
      expect(body).toContain(`"traceId":"${traceId ?? "?"}"`);
      expect(body).toContain(`"key":"service.name","value":{"stringValue":"tracing-test"}`);
    } finally {
      collector.close();
    }
  });
});
