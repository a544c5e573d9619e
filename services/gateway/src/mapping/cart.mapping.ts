import type { Static } from "typebox";
import type { Cart } from "@souk/contracts/cart";
import { int64ToNumber } from "@souk/platform";
import type { CartDto } from "../schemas/cart.schemas.ts";
import { present, toMoneyDto } from "./common.mapping.ts";

/** cart Cart → REST cart (`items` and `total`; amounts in integer minor units). */
export function toCartDto(cart: Cart | undefined): Static<typeof CartDto> {
  const { lines, total } = present(cart, "cart");
  return {
    items: lines.map((line) => ({
      productId: line.productId,
      name: line.name,
      quantity: int64ToNumber(line.quantity),
      unitPrice: toMoneyDto(line.unitPrice),
      lineTotal: toMoneyDto(line.lineTotal),
    })),
    total: toMoneyDto(total),
  };
}
