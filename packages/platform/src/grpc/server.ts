import { SpanKind, withSpan } from "../tracing.ts";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { toConnectError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { Health, healthHandlers } from "./health.grpc.ts";
import {
  reflectionIndex,
  reflectionV1AlphaHandlers,
  reflectionV1Handlers,
  ServerReflectionV1,
  ServerReflectionV1Alpha,
} from "./reflection.grpc.ts";

/** One service to serve: its generated descriptor and its implementation. */
export interface GrpcServiceBinding {
  readonly service: DescService;
  readonly handlers: ServiceImpl<DescService>;
}

/** Options of `serveGrpc`. */
export interface GrpcServerOptions {
  /** The services to serve (health and reflection are added). */
  readonly services: readonly GrpcServiceBinding[];
  /** TCP port; 0 picks a free one (read it back from the result). */
  readonly port: number;
  /** Interface to listen on, e.g. `127.0.0.1` (cleartext HTTP/2 belongs on loopback or a private network). */
  readonly host: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness: health answers SERVING only while this returns true (and the server is not draining). */
  readonly isReady: () => boolean;
  /** Longest wait for calls in flight on `close()` before they are aborted, in ms. Default 10 000. */
  readonly drainTimeoutMs?: number;
  /** Largest accepted request message in bytes (gRPC's usual 4 MiB by default). */
  readonly readMaxBytes?: number;
}

/** A listening gRPC server. */
export interface GrpcServer {
  /** The port it listens on (the chosen one when `port` was 0). */
  readonly port: number;
  /** Base URL for clients, e.g. `http://127.0.0.1:50054`. */
  readonly url: string;
  /**
   * Graceful stop: health turns NOT_SERVING, no new connections are accepted, every connection
   * gets a GOAWAY (no new calls on it), and calls in flight finish — for at most
   * `drainTimeoutMs`, after which their handlers' signals are aborted and connections destroyed.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** How long aborted handlers get to answer before their connections are destroyed. */
const ABORT_GRACE_MS = 250;

/**
 * Records RED metrics of every call (`metrics.rpcCalls` / `rpcDuration` by service, method and
 * code) and maps whatever a handler throws through `toConnectError`: a SoukError keeps its
 * status, stable code and fields (as metadata, so `fromConnectError` rebuilds it on the other
 * side); anything else becomes INTERNAL without its message, and is logged here.
 */
function observeCalls(logger: Logger, metrics: Metrics): Interceptor {
  return (next) => (request) =>
    withSpan(
      `${request.service.typeName}/${request.method.name}`,
      SpanKind.SERVER,
      {
        traceparent: request.header.get("traceparent") ?? undefined,
        tracestate: request.header.get("tracestate") ?? undefined,
      },
      () => observed(next, request),
    );
  async function observed(next: Parameters<Interceptor>[0], request: Parameters<Parameters<Interceptor>[0]>[0]) {
    const started = performance.now();
    const labels = { service: request.service.typeName, method: request.method.name };
    const record = (code: string): void => {
      metrics.rpcCalls.inc({ ...labels, code });
      metrics.rpcDuration.observe({ ...labels, code }, (performance.now() - started) / 1000);
    };
    const fail = (error: unknown): ConnectError => {
      const connectError = toConnectError(error);
      if (connectError.code === Code.Internal && !(error instanceof ConnectError)) {
        logger.error({ err: error, ...labels }, "gRPC handler failed");
      }
      record(Code[connectError.code]);
      return connectError;
    };
    try {
      const response = await next(request);
      if (!response.stream) {
        record("ok");
        return response;
      }
      const messages = response.message;
      return {
        ...response,
        message: (async function* () {
          try {
            yield* messages;
            record("ok");
          } catch (error) {
            throw fail(error);
          }
        })(),
      };
    } catch (error) {
      throw fail(error);
    }
  }
}

/**
 * Serves `services` over gRPC (and the Connect protocol) on cleartext HTTP/2 (h2c) with
 * Connect-ES, plus the standard `grpc.health.v1.Health` service (SERVING for "" and each
 * service name while `isReady()`, NOT_SERVING while draining) and gRPC server reflection
 * (`grpc.reflection.v1` and `v1alpha`: list_services, file_by_filename, file_containing_symbol,
 * extensions), so any standard gRPC client (grpc-go, grpc-js, grpcurl) works unchanged. Errors
 * and metrics go through `observeCalls`. Resolves once listening.
 *
 * @throws Error from listen (e.g. EADDRINUSE).
 */
export async function serveGrpc(options: GrpcServerOptions): Promise<GrpcServer> {
  const logger = options.logger;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  let draining = false;
  const shutdown = new AbortController();
  const served = options.services.map((s) => s.service);
  const index = reflectionIndex([...served, Health, ServerReflectionV1, ServerReflectionV1Alpha]);

  const routes = (router: ConnectRouter): void => {
    for (const { service, handlers } of options.services) router.service(service, handlers);
    router.service(
      Health,
      healthHandlers(
        served.map((s) => s.typeName),
        { isServing: () => !draining && options.isReady(), isDraining: () => draining },
      ),
    );
    router.service(ServerReflectionV1, reflectionV1Handlers(index));
    router.service(ServerReflectionV1Alpha, reflectionV1AlphaHandlers(index));
  };
  const handler = connectNodeAdapter({
    routes,
    grpc: true,
    grpcWeb: false,
    connect: true,
    interceptors: [observeCalls(logger, options.metrics)],
    shutdownSignal: shutdown.signal,
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
  });

  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A broken connection is the client's problem; log it instead of crashing the process.
  server.on("sessionError", (error) => logger.debug({ err: error }, "gRPC connection error"));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error({ err: error }, "gRPC server error"));
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, services: served.map((s) => s.typeName) }, "gRPC server listening");

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of sessions) session.close();
    const timer = new AbortController();
    const outcome = await Promise.race([
      closed.then(() => "drained" as const),
      delay(drainTimeoutMs, "timeout" as const, { signal: timer.signal }),
    ]);
    timer.abort();
    if (outcome === "timeout") {
      logger.warn({ connections: sessions.size, drainTimeoutMs }, "gRPC calls still running: aborting them");
      shutdown.abort(new ConnectError("the server is shutting down", Code.Unavailable));
      await delay(ABORT_GRACE_MS);
      for (const session of sessions) session.destroy();
      await closed;
    }
    logger.info({ url }, "gRPC server closed");
  };
  return {
    port,
    url,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
