import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  AlwaysOffSampler,
  TracerProvider,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";

export { SpanKind } from "@opentelemetry/api";

/** W3C Trace Context carrier (https://www.w3.org/TR/trace-context/): the two headers that travel. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

let provider: TracerProvider | undefined;

/** Options of `initTracing`. */
export interface TracingOptions {
  /** `service.name` of exported spans, e.g. `orders`. */
  readonly serviceName: string;
  /**
   * OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces` (Jaeger accepts it).
   * Unset: spans are created and propagated (trace ids in logs, headers and events) but not exported.
   */
  readonly otlpEndpoint?: string | undefined;
}

/**
 * An OTLP/HTTP span exporter (`@opentelemetry/exporter-trace-otlp-http`) whose module — with its
 * transport and serialization stack, several MB per process — is imported on the first batch, so
 * a process that exports nothing never loads it. A failed import fails that batch (the SDK logs it).
 */
function lazyOtlpExporter(url: string): SpanExporter {
  let loaded: Promise<SpanExporter> | undefined;
  const load = () =>
    (loaded ??= import("@opentelemetry/exporter-trace-otlp-http").then(
      ({ OTLPTraceExporter }) => new OTLPTraceExporter({ url }),
    ));
  return {
    export(spans, resultCallback) {
      load().then(
        (exporter) => exporter.export(spans, resultCallback),
        (error: unknown) =>
          resultCallback({
            code: ExportResultCode.FAILED,
            error: error instanceof Error ? error : new Error(String(error)),
          }),
      );
    },
    async shutdown() {
      if (loaded !== undefined) await (await loaded).shutdown();
    },
    async forceFlush() {
      if (loaded !== undefined) await (await loaded).forceFlush?.();
    },
  };
}

/**
 * Registers OpenTelemetry for this process, once (later calls are no-ops): an
 * AsyncLocalStorage context manager (the active span follows async calls), the W3C Trace
 * Context propagator (`traceparent`/`tracestate`), and a tracer provider sampling parent-based:
 * when `otlpEndpoint` is set every trace is recorded and exported through OTLP/HTTP in batches;
 * otherwise only traces whose caller sampled them are recorded (the rest carry ids, not data).
 */
export function initTracing(options: TracingOptions): void {
  if (provider !== undefined) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporting = options.otlpEndpoint !== undefined && options.otlpEndpoint !== "";
  provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    // Exporting: every trace is recorded. Not exporting: a recorded span would go nowhere, so
    // only traces the caller asked to sample are recorded; the others still get trace and span
    // ids (non-recording spans), which propagate downstream and label logs, at a fraction of the cost.
    sampler: new ParentBasedSampler({ root: exporting ? new AlwaysOnSampler() : new AlwaysOffSampler() }),
    spanProcessors: exporting ? [new BatchSpanProcessor({ exporter: lazyOtlpExporter(options.otlpEndpoint) })] : [],
  });
  trace.setGlobalTracerProvider(provider);
}

/** Flushes and stops span export (graceful shutdown). Safe when tracing was never initialised. */
export async function shutdownTracing(): Promise<void> {
  await provider?.forceFlush();
}

const tracer = () => trace.getTracer("souk");

const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    if (typeof value === "string") return value;
    if (Array.isArray(value) && typeof value[0] === "string") return value[0];
    return undefined;
  },
};

/** The active trace context as W3C headers (empty when there is none): what an outgoing call or event carries. */
export function currentTraceCarrier(active: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier;
}

/** The trace id (32 hex digits) of the active span, or undefined. */
export function currentTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  return span?.spanContext().traceId;
}

/**
 * Runs `fn` inside a new span named `name`, child of the context carried by `carrier`
 * (incoming HTTP headers, gRPC metadata, CloudEvents extension attributes) — or of the active
 * context when the carrier has none. The span ends when `fn` settles; a thrown error is recorded
 * on it and rethrown.
 */
export async function withSpan<T>(
  name: string,
  kind: SpanKind,
  carrier: Record<string, unknown> | undefined,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent =
    carrier !== undefined && headerGetter.get(carrier, "traceparent") !== undefined
      ? propagation.extract(context.active(), carrier, headerGetter)
      : context.active();
  const span = tracer().startSpan(name, { kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
