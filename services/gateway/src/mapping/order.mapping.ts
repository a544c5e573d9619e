import type { Static } from "typebox";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { OrderStatus, type CheckoutRequestSchema, type Order } from "@souk/contracts/orders";
import { int64ToNumber } from "@souk/platform";
import type { CheckoutBody, OrderDto, OrderPage, OrderStatusDto } from "../schemas/order.schemas.ts";
import { present, toMoneyDto, toNextCursor } from "./common.mapping.ts";

const STATUS: Record<OrderStatus, Static<typeof OrderStatusDto> | undefined> = {
  [OrderStatus.UNSPECIFIED]: undefined,
  [OrderStatus.PENDING]: "PENDING",
  [OrderStatus.CONFIRMED]: "CONFIRMED",
  [OrderStatus.CANCELLED]: "CANCELLED",
  [OrderStatus.REFUNDED]: "REFUNDED",
};

function isoOf(epochMs: bigint): string {
  return new Date(int64ToNumber(epochMs)).toISOString();
}

/**
 * orders Order → REST order. `cancellationReason` only appears when there is one.
 * @throws Error for an unspecified status or missing total (a service bug → 500).
 */
export function toOrderDto(order: Order | undefined): Static<typeof OrderDto> {
  const o = present(order, "order");
  const status = present(STATUS[o.status], `a status of order ${o.id}`);
  const address = o.shippingAddress;
  return {
    id: o.id,
    status,
    total: toMoneyDto(o.total),
    lines: o.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      name: line.name,
      quantity: int64ToNumber(line.quantity),
      unitPrice: toMoneyDto(line.unitPrice),
      lineTotal: toMoneyDto(line.lineTotal),
    })),
    ...(address === undefined
      ? {}
      : {
          shippingAddress: {
            name: address.name,
            line1: address.line1,
            city: address.city,
            postalCode: address.postalCode,
            country: address.country,
          },
        }),
    ...(o.cancellationReason === "" ? {} : { cancellationReason: o.cancellationReason }),
    createdAt: isoOf(o.createdAtMs),
    updatedAt: isoOf(o.updatedAtMs === 0n ? o.createdAtMs : o.updatedAtMs),
  };
}

/** A page of orders → REST order page. */
export function toOrderPage(orders: readonly Order[], nextCursor: string): Static<typeof OrderPage> {
  return { items: orders.map((o) => toOrderDto(o)), nextCursor: toNextCursor(nextCursor) };
}

/**
 * REST checkout → Orders.Checkout request. The user id comes from the verified token only; spaces
 * in the card number are dropped (people copy numbers in groups of four).
 */
export function toCheckoutRequest(
  userId: string,
  idempotencyKey: string,
  body: Static<typeof CheckoutBody>,
  waitMs: number,
): MessageInitShape<typeof CheckoutRequestSchema> {
  const { card } = body.payment;
  const address = body.shippingAddress;
  return {
    userId,
    idempotencyKey,
    card: { number: card.number.replaceAll(" ", ""), expMonth: card.expMonth, expYear: card.expYear, cvc: card.cvc },
    shippingAddress: {
      name: address.name,
      line1: address.line1,
      city: address.city,
      postalCode: address.postalCode,
      country: address.country,
    },
    waitMs,
  };
}
