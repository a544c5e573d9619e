import { uuidv7 } from "uuidv7";

/** A source of the current time, passed in so domain code is deterministic under test. */
export type Clock = () => Date;

/** The real wall clock (UTC instants). */
export const systemClock: Clock = () => new Date();

/** A source of new ids, passed in like the clock. */
export type IdGenerator = () => string;

/** New UUIDv7 ids (RFC 9562 §5.7): time-ordered, so B-tree inserts stay local. */
export const newId: IdGenerator = () => uuidv7();

/** True when `value` is a UUID in canonical textual form (any version). */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
