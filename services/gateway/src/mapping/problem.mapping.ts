import type { FastifyBaseLogger } from "fastify";
import { ConnectError } from "@connectrpc/connect";
import { fromConnectError, problem, problemOf, SoukError, type Problem } from "@souk/platform";

/** Orders' code for an Idempotency-Key replayed with a different request (orders.proto, Checkout). */
export const ORDERS_IDEMPOTENCY_KEY_REUSED = "ORDERS_IDEMPOTENCY_KEY_REUSED";

/**
 * Where a request message's fields sit in the REST body when the names differ beyond casing:
 * Orders.Checkout's `card` is the REST `payment.card`.
 */
const REST_PREFIXES: readonly (readonly [proto: string, rest: string])[] = [["card", "payment.card"]];

/**
 * A service's field path (proto names, snake_case: `card.exp_month`, `shipping_address.postal_code`)
 * → the REST body path (`payment.card.expMonth`, `shippingAddress.postalCode`).
 */
export function restFieldPath(protoPath: string): string {
  const camel = protoPath.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
  for (const [proto, rest] of REST_PREFIXES) {
    if (camel === proto || camel.startsWith(`${proto}.`) || camel.startsWith(`${proto}[`)) {
      return rest + camel.slice(proto.length);
    }
  }
  return camel;
}

/**
 * Any error of a REST request → its problem body. Service errors keep their kind, code and
 * message (the platform's `problemOf`), with field paths renamed to the REST body's; a reused
 * Idempotency-Key with another body is 422 Unprocessable Content (IETF idempotency-key draft §2.7)
 * rather than orders' 409. Everything else is the platform's mapping.
 */
export function restProblemOf(error: unknown, logger: FastifyBaseLogger): Problem {
  if (!(error instanceof SoukError) && !(error instanceof ConnectError)) return problemOf(error, logger);
  const souk = fromConnectError(error);
  if (souk.code === ORDERS_IDEMPOTENCY_KEY_REUSED) {
    return problem(422, souk.code, "this Idempotency-Key was already used with a different request");
  }
  const fields = souk.fields.map((f) => ({ field: restFieldPath(f.field), message: f.message }));
  return problemOf(new SoukError(souk.kind, souk.code, souk.message, { fields, cause: error }), logger);
}
