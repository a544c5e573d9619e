import { create, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type Client, type ServiceImpl } from "@connectrpc/connect";
import { toConnectError } from "./errors.ts";
import type { Metrics } from "./metrics.ts";

/**
 * The reason a finished call's handler signal is aborted with (frees its deadline timer). Given
 * once, so no DOMException (and its stack trace) is made per call.
 */
const CALL_COMPLETED = new ConnectError("the call completed", Code.Canceled);

/**
 * Wraps a service implementation so callers in the same process use it through the
 * ordinary Connect client interface — without network and without serialization
 * (the embedded topology). Requests get their protobuf defaults filled (`create`), errors
 * cross as ConnectError exactly as they would over gRPC, and each call is counted in
 * `metrics.rpcCalls`. The deadline of `timeoutMs` (default 10 s) aborts the handler's signal.
 */
export function inProcessClient<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  options: { metrics?: Metrics; timeoutMs?: number } = {},
): Client<S> {
  const client: Record<string, unknown> = {};
  const implementation = impl as unknown as Record<
    string,
    (request: unknown, context: ReturnType<typeof createHandlerContext>) => Promise<MessageInitShape<DescMessage>>
  >;
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const handler = implementation[method.localName];
    if (handler === undefined) throw new Error(`${service.typeName} has no implementation of ${method.name}`);
    client[method.localName] = async (
      request: MessageInitShape<DescMessage>,
      callOptions?: { timeoutMs?: number; signal?: AbortSignal },
    ) => {
      const timeoutMs = callOptions?.timeoutMs ?? options.timeoutMs ?? 10_000;
      const context = createHandlerContext({
        service,
        method,
        protocolName: "in-process",
        requestMethod: "POST",
        url: `/${service.typeName}/${method.name}`,
        timeoutMs,
        requestSignal: callOptions?.signal,
      });
      const started = performance.now();
      let code = "ok";
      try {
        const response = await handler.call(impl, create(method.input, request), context);
        return create(method.output, response);
      } catch (error) {
        const connectError = toConnectError(error);
        code = Code[connectError.code];
        throw connectError instanceof ConnectError ? connectError : error;
      } finally {
        const labels = { service: service.typeName, method: method.name, code };
        options.metrics?.rpcCalls.inc(labels);
        options.metrics?.rpcDuration.observe(labels, (performance.now() - started) / 1000);
        context.abort(CALL_COMPLETED);
      }
    };
  }
  return client as Client<S>;
}
