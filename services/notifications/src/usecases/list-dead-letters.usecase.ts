import { invalidArgument, isUuid, type FieldViolation } from "@souk/platform";
import type { DeadLetterView } from "../domain/delivery.ts";
import type { NotificationStore } from "../domain/ports.ts";

/** Page size when the caller gives none. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest page. */
export const MAX_PAGE_SIZE = 100;

/** A page of dead letters; `nextCursor` is undefined on the last page. */
export interface DeadLetterPage {
  readonly deadLetters: readonly DeadLetterView[];
  readonly nextCursor: string | undefined;
}

/**
 * Lists dead letters newest first, `limit` per page (0 = 20, at most 100), after `cursor` (the
 * `nextCursor` of the previous page: the last dead letter's id, a UUIDv7, so ids order by time).
 *
 * @throws SoukError invalid_argument NOTIFICATIONS_INVALID_CURSOR naming `limit` and/or `cursor`.
 */
export function listDeadLetters(store: NotificationStore) {
  return async (limit: number, cursor: string): Promise<DeadLetterPage> => {
    const fields: FieldViolation[] = [];
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE) {
      fields.push({ field: "limit", message: `must be between 1 and ${MAX_PAGE_SIZE}` });
    }
    if (cursor !== "" && !isUuid(cursor)) fields.push({ field: "cursor", message: "is not a cursor of this list" });
    if (fields.length > 0) throw invalidArgument("NOTIFICATIONS_INVALID_CURSOR", "invalid page request", fields);
    const size = limit === 0 ? DEFAULT_PAGE_SIZE : limit;
    const rows = await store.listDeadLetters(size + 1, cursor === "" ? undefined : cursor);
    const page = rows.slice(0, size);
    return { deadLetters: page, nextCursor: rows.length > size ? page.at(-1)?.id : undefined };
  };
}
