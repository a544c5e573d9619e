import Type from "typebox";
import { MoneyDto, ResourceId } from "./common.schemas.ts";

/** Units of one product in a cart line: an integer 1..99 (the limit). */
const Quantity = Type.Integer({ minimum: 1, maximum: 99, description: "Units, 1..99" });

/** POST /v1/cart/items body: adds units (summing with an existing line). */
export const AddCartItemBody = Type.Object(
  { productId: ResourceId, quantity: Quantity },
  { additionalProperties: false },
);

/** PUT /v1/cart/items/{productId} body: sets a line's quantity. */
export const UpdateCartItemBody = Type.Object({ quantity: Quantity }, { additionalProperties: false });

/** Path of the cart line routes. */
export const CartItemParams = Type.Object({ productId: ResourceId });

/** One cart line, priced by the catalog. */
export const CartLineDto = Type.Object({
  productId: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: MoneyDto,
  lineTotal: MoneyDto,
});

/** The caller's cart. */
export const CartDto = Type.Object({ items: Type.Array(CartLineDto), total: MoneyDto });
