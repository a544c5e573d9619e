import type { IdGenerator, Logger } from "@souk/platform";
import type { NewDeadLetter, NotificationStore } from "../domain/ports.ts";

/**
 * Records a dead-lettered delivery job (once per job id, so a redelivered dead letter is a
 * no-op) and marks its delivery `dead`, where operators can list and replay it.
 * Resolves false when it was recorded before.
 */
export function recordDeadLetter(deps: { store: NotificationStore; newId: IdGenerator; logger: Logger }) {
  return async (dead: Omit<NewDeadLetter, "id">): Promise<boolean> => {
    const recorded = await deps.store.recordDeadLetter({ id: deps.newId(), ...dead });
    if (recorded) {
      deps.logger.warn(
        { queue: dead.queue, deliveryId: dead.deliveryId, attempts: dead.attempts, reason: dead.reason },
        "delivery dead-lettered",
      );
    }
    return recorded;
  };
}
