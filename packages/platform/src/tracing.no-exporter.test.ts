import { describe, expect, it } from "vitest";
import { currentTraceCarrier, currentTraceId, initTracing, SpanKind, withSpan } from "./tracing.ts";

describe("initTracing without an OTLP endpoint", () => {
  initTracing({ serviceName: "tracing-test" });

  it("gives every span trace and span ids that propagate, but records only what the caller sampled", async () => {
    const root = await withSpan("root", SpanKind.SERVER, undefined, (span) => ({
      recording: span.isRecording(),
      traceId: currentTraceId(),
      carrier: currentTraceCarrier(),
    }));
    expect(root.recording).toBe(false);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.carrier.traceparent).toMatch(new RegExp(`^00-${root.traceId ?? "?"}-[0-9a-f]{16}-00$`));

    const sampledParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const child = await withSpan("child", SpanKind.SERVER, { traceparent: sampledParent }, (span) => ({
      recording: span.isRecording(),
      carrier: currentTraceCarrier(),
    }));
    expect(child.recording).toBe(true);
    expect(child.carrier.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(child.carrier.traceparent).not.toContain("00f067aa0ba902b7");

    const unsampledParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    const quiet = await withSpan("quiet", SpanKind.SERVER, { traceparent: unsampledParent }, (span) => ({
      recording: span.isRecording(),
      traceId: currentTraceId(),
    }));
    expect(quiet).toEqual({ recording: false, traceId: "4bf92f3577b34da6a3ce929d0e0e4736" });
  });
});
