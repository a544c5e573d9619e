/** Money on the REST surface: integer minor units and an ISO 4217 code. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** GET /v1/products item. */
export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: Money;
  readonly available: number;
  readonly images: readonly string[];
}

/** A page of a list endpoint. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** GET /v1/cart. */
export interface Cart {
  readonly items: readonly {
    productId: string;
    name: string;
    quantity: number;
    unitPrice: Money;
    lineTotal: Money;
  }[];
  readonly total: Money;
}

/** Order states. */
export type OrderStatus = "PENDING" | "CONFIRMED" | "CANCELLED" | "REFUNDED";

/** An order as the API shows it. */
export interface Order {
  readonly id: string;
  readonly status: OrderStatus;
  readonly total: Money;
  readonly lines: readonly { productId: string; name: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
  readonly cancellationReason?: string;
  readonly createdAt: string;
}

/** POST /v1/auth/login and /refresh. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: "Bearer";
  readonly expiresIn: number;
}
