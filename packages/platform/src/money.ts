/**
 * Money as Souk's domain code holds it: an integer count of minor units (cents for USD)
 * plus an ISO 4217 code. Never a float. Amounts stay far below 2^53, so `number` is exact.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/** The protobuf shape of souk.common.v1.Money (int64 as bigint). */
export interface MoneyMessage {
  amountMinor: bigint;
  currency: string;
}

/** Domain money → protobuf Money. */
export function moneyToProto(money: Money): { amountMinor: bigint; currency: string } {
  return { amountMinor: BigInt(money.amountMinor), currency: money.currency };
}

/**
 * Protobuf Money → domain money. Throws RangeError when the amount is not a safe integer
 * (a sender bug: Souk never produces such amounts).
 */
export function moneyFromProto(message: MoneyMessage | undefined): Money {
  if (message === undefined) throw new RangeError("money is missing");
  const amountMinor = Number(message.amountMinor);
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount ${message.amountMinor} is out of range`);
  return { amountMinor, currency: message.currency };
}

/** Converts a bigint count (quantity, epoch ms) into a number; throws RangeError past 2^53. */
export function int64ToNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer ${value} is out of range`);
  return n;
}
