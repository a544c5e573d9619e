import Type from "typebox";
import { MoneyDto, NextCursor, PageCursor, PageLimit, ResourceId, Text } from "./common.schemas.ts";

/** A non-empty line of a postal address, at most 200 characters. */
const AddressLine = Text({ minLength: 1, maxLength: 200 });

/**
 * Headers of POST /v1/checkout: `Idempotency-Key` is 1..255 visible ASCII characters
 * (draft-ietf-httpapi-idempotency-key-header); a retry with the same key and body returns the first order.
 */
export const CheckoutHeaders = Type.Object({
  "idempotency-key": Type.String({
    pattern: "^[\\x21-\\x7E]{1,255}$",
    description: "Unique per checkout attempt (e.g. a UUID), 1..255 visible ASCII characters",
  }),
});

/** POST /v1/checkout body: the card to charge and where to ship the cart's contents. */
export const CheckoutBody = Type.Object(
  {
    payment: Type.Object(
      {
        card: Type.Object(
          {
            number: Type.String({
              pattern: "^[0-9 ]{12,23}$",
              description: "Card number, 12..19 digits (spaces allowed). Test cards: 4242424242424242 succeeds",
            }),
            expMonth: Type.Integer({ minimum: 1, maximum: 12 }),
            expYear: Type.Integer({ minimum: 2000, maximum: 2100 }),
            cvc: Type.String({ pattern: "^[0-9]{3,4}$" }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    shippingAddress: Type.Object(
      {
        name: AddressLine,
        line1: AddressLine,
        city: AddressLine,
        postalCode: AddressLine,
        country: Type.String({ pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2 code, e.g. FR" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Order states: PENDING while the checkout saga runs, then CONFIRMED or CANCELLED; REFUNDED after a cancel. */
export const OrderStatusDto = Type.Enum(["PENDING", "CONFIRMED", "CANCELLED", "REFUNDED"]);

/** One line of an order, priced at checkout time. */
export const OrderLineDto = Type.Object({
  productId: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: MoneyDto,
  lineTotal: MoneyDto,
});

/** The shipping address of an order. */
export const ShippingAddressDto = Type.Object({
  name: Type.String(),
  line1: Type.String(),
  city: Type.String(),
  postalCode: Type.String(),
  country: Type.String(),
});

/** An order of the caller. */
export const OrderDto = Type.Object({
  id: Type.String(),
  status: OrderStatusDto,
  total: MoneyDto,
  lines: Type.Array(OrderLineDto),
  shippingAddress: Type.Optional(ShippingAddressDto),
  cancellationReason: Type.Optional(
    Type.String({ description: "Why it was cancelled, e.g. card_declined, insufficient_stock" }),
  ),
  createdAt: Type.String({ format: "date-time" }),
  updatedAt: Type.String({ format: "date-time" }),
});

/** Responses that carry one order. */
export const OrderEnvelope = Type.Object({ order: OrderDto });

/** Path of the order routes. */
export const OrderParams = Type.Object({ id: ResourceId });

/** GET /v1/orders query. */
export const OrderListQuery = Type.Object(
  { limit: Type.Optional(PageLimit), cursor: Type.Optional(PageCursor) },
  { additionalProperties: false },
);

/** A page of the caller's orders, newest first. */
export const OrderPage = Type.Object({ items: Type.Array(OrderDto), nextCursor: NextCursor });
