import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "./gen/grpc/health/v1/health_pb.js";

export { Health, ServingStatus };

/** How often a Watch stream re-reads the serving status (it has no push source). */
const WATCH_POLL_MS = 250;

/**
 * The standard gRPC health service (`grpc.health.v1.Health`, gRPC health-checking protocol:
 * https://github.com/grpc/grpc/blob/master/doc/health-checking.md) for the services in
 * `serviceNames`. Check answers SERVING for "" (the whole server) and each name while
 * `isServing()` is true, NOT_SERVING otherwise (starting or draining), and NOT_FOUND for an
 * unknown name. Watch sends the status, then every change, until the caller leaves or
 * `isDraining()` turns true (it then ends with NOT_SERVING, so graceful shutdown does not wait
 * for watchers). List gives every name's status.
 */
export function healthHandlers(
  serviceNames: readonly string[],
  state: { isServing: () => boolean; isDraining: () => boolean },
): ServiceImpl<typeof Health> {
  const { isServing, isDraining } = state;
  const known = new Set(["", ...serviceNames]);
  const status = (): ServingStatus => (isServing() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  return {
    async check(request) {
      if (!known.has(request.service)) {
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return { status: status() };
    },
    async list() {
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: status() }])) };
    },
    async *watch(request, context) {
      if (!known.has(request.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        return;
      }
      let last = status();
      yield { status: last };
      while (!isDraining()) {
        try {
          await delay(WATCH_POLL_MS, undefined, { signal: context.signal });
        } catch {
          return; // aborted: the caller left, its deadline passed, or the server is shutting down
        }
        const now = status();
        if (now !== last) yield { status: now };
        last = now;
      }
      if (last !== ServingStatus.NOT_SERVING) yield { status: ServingStatus.NOT_SERVING };
    },
  };
}
