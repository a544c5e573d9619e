import { invalidArgument, notFound, type Clock } from "@souk/platform";
import { replayRefusal, type DeadLetterView } from "../domain/delivery.ts";
import type { NotificationStore, TraceContext } from "../domain/ports.ts";

/** Error code of an unknown dead letter. */
export const DEAD_LETTER_NOT_FOUND = "NOTIFICATIONS_DEAD_LETTER_NOT_FOUND";

/**
 * Replays a dead letter: in one transaction marks it replayed, sets its delivery back to
 * `pending` and writes a new job for it to the outbox (the job queue counts attempts from 1 again;
 * the delivery's own `attempts` keeps counting), then wakes the outbox relay.
 *
 * @throws SoukError invalid_argument NOTIFICATIONS_INVALID_DEAD_LETTER_ID for an empty id;
 *   not_found NOTIFICATIONS_DEAD_LETTER_NOT_FOUND; failed_precondition (see `replayRefusal`).
 */
export function replayDeadLetter(deps: {
  store: NotificationStore;
  clock: Clock;
  traceContext: () => TraceContext;
  afterCommit: () => void;
}) {
  return async (deadLetterId: string): Promise<DeadLetterView> => {
    if (deadLetterId === "") {
      throw invalidArgument("NOTIFICATIONS_INVALID_DEAD_LETTER_ID", "a dead letter id is required", [
        { field: "dead_letter_id", message: "is required" },
      ]);
    }
    const result = await deps.store.replayDeadLetter(deadLetterId, deps.clock(), replayRefusal, deps.traceContext());
    if (result.outcome === "missing") throw notFound(DEAD_LETTER_NOT_FOUND, `no dead letter ${deadLetterId}`);
    if (result.outcome === "refused") throw result.error;
    deps.afterCommit();
    return result.deadLetter;
  };
}
