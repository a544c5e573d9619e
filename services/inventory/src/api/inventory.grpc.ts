import type { ServiceImpl } from "@connectrpc/connect";
import { InventoryService, ReservationStatus, type Reservation as ReservationMessage } from "@souk/contracts/inventory";
import { int64ToNumber } from "@souk/platform";
import { available, type Reservation } from "../domain/reservation.ts";
import type { InventoryUseCases } from "../index.ts";

const STATUS: Record<Reservation["status"], ReservationStatus> = {
  HELD: ReservationStatus.HELD,
  COMMITTED: ReservationStatus.COMMITTED,
  RELEASED: ReservationStatus.RELEASED,
  RESTOCKED: ReservationStatus.RESTOCKED,
};

function toMessage(r: Reservation): Omit<ReservationMessage, "$typeName"> {
  return {
    orderId: r.orderId,
    status: STATUS[r.status],
    lines: r.lines.map((l) => ({
      $typeName: "souk.inventory.v1.ReservationLine",
      sku: l.sku,
      quantity: BigInt(l.quantity),
    })),
    expiresAtMs: BigInt(r.expiresAt.getTime()),
  };
}

/** gRPC handlers of souk.inventory.v1.InventoryService: decode, call one use case, encode. */
export function inventoryHandlers(uc: InventoryUseCases): ServiceImpl<typeof InventoryService> {
  return {
    async getAvailability(req) {
      const levels = await uc.getStockLevels(req.skus);
      return {
        levels: levels.map((l) => ({
          sku: l.sku,
          onHand: BigInt(l.onHand),
          reserved: BigInt(l.reserved),
          available: BigInt(available(l)),
        })),
      };
    },
    async setStockLevels(req) {
      await uc.setStockLevels(req.entries.map((e) => ({ sku: e.sku, onHand: int64ToNumber(e.onHand) })));
      return {};
    },
    async reserveStock(req) {
      const lines = req.lines.map((l) => ({ sku: l.sku, quantity: int64ToNumber(l.quantity) }));
      return { reservation: toMessage(await uc.reserveStock(req.orderId, lines, int64ToNumber(req.ttlMs))) };
    },
    async commitReservation(req) {
      return { reservation: toMessage(await uc.commitReservation(req.orderId)) };
    },
    async releaseReservation(req) {
      await uc.releaseReservation(req.orderId);
      return {};
    },
    async restockReservation(req) {
      await uc.restockReservation(req.orderId);
      return {};
    },
  };
}
