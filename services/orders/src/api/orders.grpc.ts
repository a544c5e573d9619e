import type { ServiceImpl } from "@connectrpc/connect";
import { OrderStatus, type OrdersService, type Order as OrderMessage } from "@souk/contracts/orders";
import { moneyToProto } from "@souk/platform";
import type { Order } from "../domain/order.ts";
import type { OrdersUseCases } from "../index.ts";

const STATUS: Record<Order["status"], OrderStatus> = {
  PENDING: OrderStatus.PENDING,
  CONFIRMED: OrderStatus.CONFIRMED,
  CANCELLED: OrderStatus.CANCELLED,
  REFUNDED: OrderStatus.REFUNDED,
};

function toMessage(order: Order): Omit<OrderMessage, "$typeName" | "total" | "lines" | "shippingAddress"> & {
  total: ReturnType<typeof moneyToProto>;
  lines: object[];
  shippingAddress: Order["shippingAddress"];
} {
  return {
    id: order.id,
    userId: order.userId,
    status: STATUS[order.status],
    total: moneyToProto(order.total),
    lines: order.lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      quantity: BigInt(l.quantity),
      unitPrice: moneyToProto(l.unitPrice),
      lineTotal: moneyToProto(l.lineTotal),
    })),
    shippingAddress: order.shippingAddress,
    cancellationReason: order.cancellationReason ?? "",
    createdAtMs: BigInt(order.createdAt.getTime()),
    updatedAtMs: BigInt(order.updatedAt.getTime()),
  };
}

/** gRPC handlers of souk.orders.v1.OrdersService: decode, call one use case, encode. */
export function ordersHandlers(uc: OrdersUseCases): ServiceImpl<typeof OrdersService> {
  return {
    async checkout(req) {
      const result = await uc.checkout({
        userId: req.userId,
        idempotencyKey: req.idempotencyKey,
        card: req.card,
        shippingAddress: req.shippingAddress,
        waitMs: req.waitMs,
      });
      return { order: toMessage(result.order), replayed: result.replayed };
    },
    async getOrder(req) {
      return { order: toMessage(await uc.getOrder(req.userId, req.orderId)) };
    },
    async listOrders(req) {
      const page = await uc.listOrders(req.userId, req.limit, req.cursor);
      return { orders: page.orders.map(toMessage), nextCursor: page.nextCursor };
    },
    async cancelOrder(req) {
      return { order: toMessage(await uc.cancelOrder(req.userId, req.orderId)) };
    },
  };
}
