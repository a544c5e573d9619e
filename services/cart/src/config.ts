import Type from "typebox";

/** Cart's environment: variable name → schema (parsed once by the launcher). */
export const CartConfig = Type.Object({
  CART_TTL_SECONDS: Type.Integer({
    minimum: 1,
    default: 30 * 24 * 60 * 60,
    description: "How long a cart lives after its last change, in seconds (default 30 days)",
  }),
  CART_CURRENCY: Type.String({
    pattern: "^[A-Z]{3}$",
    default: "USD",
    description: "ISO 4217 code every cart is priced in; products in another currency are refused",
  }),
  CART_MAX_LINES: Type.Integer({
    minimum: 1,
    default: 50,
    description: "Most different products one cart may hold",
  }),
  CART_MAX_QUANTITY_PER_LINE: Type.Integer({
    minimum: 1,
    default: 99,
    description: "Most units of one product one cart line may hold",
  }),
});
