import { failedPrecondition, invalidArgument, type FieldViolation } from "@souk/platform";

/** One SKU and how many units of it. `quantity` is a positive integer. */
export interface ReservationLine {
  readonly sku: string;
  readonly quantity: number;
}

/**
 * Lifecycle of a reservation:
 * HELD → COMMITTED (sold) → RESTOCKED (refunded and put back), or HELD → RELEASED
 * (compensation, or expiry by the sweeper).
 */
export type ReservationStatus = "HELD" | "COMMITTED" | "RELEASED" | "RESTOCKED";

/** Stock held for one order. `expiresAt` only matters while HELD. */
export interface Reservation {
  readonly orderId: string;
  readonly status: ReservationStatus;
  readonly lines: readonly ReservationLine[];
  readonly expiresAt: Date;
}

/** Stock of one SKU. Invariant: 0 ≤ reserved ≤ onHand, so available = onHand − reserved ≥ 0. */
export interface StockLevel {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
}

/** Units that can still be reserved. */
export function available(level: StockLevel): number {
  return level.onHand - level.reserved;
}

/** Default lifetime of a hold: long enough for a slow card authorization, short enough to free stock. */
export const DEFAULT_RESERVATION_TTL_MS = 15 * 60 * 1000;

/**
 * Validates reservation lines and merges duplicate SKUs (so one SKU is locked once).
 * @throws SoukError invalid_argument (INVENTORY_INVALID_LINES) naming every bad line.
 */
export function normalizeLines(lines: readonly ReservationLine[]): ReservationLine[] {
  const violations: FieldViolation[] = [];
  if (lines.length === 0) violations.push({ field: "lines", message: "must not be empty" });
  const merged = new Map<string, number>();
  lines.forEach((line, i) => {
    if (line.sku.trim() === "") violations.push({ field: `lines[${i}].sku`, message: "must not be empty" });
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      violations.push({ field: `lines[${i}].quantity`, message: "must be a positive integer" });
    }
    merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  });
  if (violations.length > 0) throw invalidArgument("INVENTORY_INVALID_LINES", "invalid reservation lines", violations);
  // Sorted by SKU so concurrent reservations lock rows in one global order (no deadlocks).
  return [...merged].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** True when a HELD reservation has outlived its expiry at `now`. */
export function isExpired(reservation: Reservation, now: Date): boolean {
  return reservation.status === "HELD" && reservation.expiresAt.getTime() <= now.getTime();
}

/**
 * Decides what committing means for a reservation in its current state.
 * @returns "commit" to apply, "noop" when already committed (idempotent retry).
 * @throws SoukError failed_precondition INVENTORY_RESERVATION_EXPIRED when it was released or has expired.
 */
export function decideCommit(reservation: Reservation, now: Date): "commit" | "noop" {
  if (reservation.status === "COMMITTED" || reservation.status === "RESTOCKED") return "noop";
  if (reservation.status === "RELEASED" || isExpired(reservation, now)) {
    throw failedPrecondition(
      "INVENTORY_RESERVATION_EXPIRED",
      `reservation of order ${reservation.orderId} expired or was released`,
    );
  }
  return "commit";
}

/** Ports the inventory use cases need; implemented in `store/`. */
export interface InventoryStore {
  /** Stock levels of the given SKUs that exist. */
  getLevels(skus: readonly string[]): Promise<StockLevel[]>;
  /** Upserts on-hand quantities. Throws failed_precondition when a new on-hand is below what is reserved. */
  setOnHand(entries: readonly { sku: string; onHand: number }[]): Promise<void>;
  /**
   * Atomically reserves every line for `orderId` or nothing. Returns the existing reservation
   * when one exists for the order (idempotent).
   * @throws SoukError failed_precondition INVENTORY_INSUFFICIENT_STOCK naming the short SKUs.
   */
  reserve(orderId: string, lines: readonly ReservationLine[], expiresAt: Date): Promise<Reservation>;
  /** The reservation of `orderId`, or undefined. */
  find(orderId: string): Promise<Reservation | undefined>;
  /**
   * Moves a reservation from `from` to `to`, adjusting stock accordingly, in one transaction
   * with the row locked. Returns the reservation after the move, or undefined when it was not
   * in `from` (someone else moved it first).
   */
  transition(orderId: string, from: ReservationStatus, to: ReservationStatus): Promise<Reservation | undefined>;
  /** Order ids of HELD reservations whose expiry is at or before `now`, at most `limit`. */
  findExpired(now: Date, limit: number): Promise<string[]>;
}

/**
 * How a reservation's move changes the stock of each of its lines, per unit:
 * HELD→COMMITTED sells (on hand and reserved both drop), HELD→RELEASED frees the hold,
 * COMMITTED→RESTOCKED puts sold units back on hand.
 * @throws Error for a move the state machine does not allow (a programming error).
 */
export function stockDelta(from: ReservationStatus, to: ReservationStatus): { onHand: number; reserved: number } {
  if (from === "HELD" && to === "COMMITTED") return { onHand: -1, reserved: -1 };
  if (from === "HELD" && to === "RELEASED") return { onHand: 0, reserved: -1 };
  if (from === "COMMITTED" && to === "RESTOCKED") return { onHand: 1, reserved: 0 };
  throw new Error(`reservation cannot move from ${from} to ${to}`);
}
