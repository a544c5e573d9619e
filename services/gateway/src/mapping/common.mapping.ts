import type { Static } from "typebox";
import type { Money } from "@souk/contracts/common";
import { moneyFromProto } from "@souk/platform";
import type { MoneyDto } from "../schemas/common.schemas.ts";

/**
 * souk.common.v1.Money (bigint minor units) → the REST money `{ amount, currency }`.
 * @throws RangeError when the message is absent or the amount is not a safe integer (a service bug → 500).
 */
export function toMoneyDto(money: Money | undefined): Static<typeof MoneyDto> {
  const { amountMinor, currency } = moneyFromProto(money);
  return { amount: amountMinor, currency };
}

/**
 * A required sub-message of a service response, or an Error naming it (a service bug, answered
 * as a generic 500 and logged).
 */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`service response is missing ${what}`);
  return value;
}

/** A proto "empty string means none" cursor → the REST `nextCursor` (`null` on the last page). */
export function toNextCursor(cursor: string): string | null {
  return cursor === "" ? null : cursor;
}
