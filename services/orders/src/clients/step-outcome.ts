import { fromConnectError } from "@souk/platform";
import type { StepOutcome } from "../domain/saga.ts";

/** Cancellation reasons for upstream error codes that end a checkout. */
const REASONS: Record<string, string> = {
  INVENTORY_INSUFFICIENT_STOCK: "insufficient_stock",
  INVENTORY_RESERVATION_EXPIRED: "reservation_expired",
  INVENTORY_INVALID_LINES: "invalid_order_lines",
  PAYMENTS_METHOD_NOT_FOUND: "payment_method_not_found",
};

/**
 * Classifies an error from a saga participant: a business refusal (invalid argument, not
 * found, failed precondition, conflict, permission denied) ends the saga with a reason;
 * anything else (unavailable, deadline, internal) is transient and retried.
 */
export function outcomeOfError(error: unknown): StepOutcome {
  const souk = fromConnectError(error);
  switch (souk.kind) {
    case "invalid_argument":
    case "not_found":
    case "failed_precondition":
    case "conflict":
    case "permission_denied":
      return { kind: "failed", reason: REASONS[souk.code] ?? souk.code.toLowerCase() };
    default:
      return { kind: "retry", error: `${souk.code}: ${souk.message}` };
  }
}

/** Runs a participant call, mapping success to `ok` and errors through `outcomeOfError`. */
export async function outcomeOf(call: () => Promise<unknown>): Promise<StepOutcome> {
  try {
    await call();
    return { kind: "ok" };
  } catch (error) {
    return outcomeOfError(error);
  }
}
