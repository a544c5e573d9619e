import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CartService } from "@souk/contracts/cart";
import { CatalogService, type ProductSchema } from "@souk/contracts/catalog";
import { TokensService, UsersService } from "@souk/contracts/identity";
import { InventoryService } from "@souk/contracts/inventory";
import { OrderStatus, OrdersService, type OrderSchema } from "@souk/contracts/orders";
import {
  conflict,
  failedPrecondition,
  inProcessClient,
  invalidArgument,
  notFound,
  unauthenticated,
} from "@souk/platform";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { GatewayClients } from "../index.ts";

/** An Ed25519 signing key of the fake identity. */
export interface FakeSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A new Ed25519 key pair named `kid`. */
export async function newSigningKey(kid: string): Promise<FakeSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" } };
}

/** Signs an access token the way identity does (EdDSA, `typ: at+jwt`), with claims overridable per test. */
export async function signAccessToken(
  key: FakeSigningKey,
  claims: { sub: string; iss?: string; aud?: string; expiresInSeconds?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? "souk")
    .setAudience(claims.aud ?? "souk-api")
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 900))
    .sign(key.privateKey);
}

const usd = (amount: number) => ({ amountMinor: BigInt(amount), currency: "USD" });

/**
 * In-memory stand-ins for the services, with just enough behaviour to exercise the gateway's
 * own job (auth, validation, mapping, status codes) in-process: the real services are covered
 * by their own integration tests and by test/e2e. Two products: P1 (sku SKU-1, 3 available)
 * and P2 (sku SKU-2, unknown to inventory). Checkout outcomes by card number: 4242… CONFIRMED,
 * 4000000000000002 CANCELLED card_declined, 4000000000000077 stays PENDING, 4000000000000000 is
 * refused by "payments" with the field `card.number`.
 */
export async function createFakeServices() {
  const state = {
    signingKeys: [await newSigningKey("key-1")],
    jwksCalls: 0,
    checkoutCalls: [] as { userId: string; idempotencyKey: string; waitMs: number; cardNumber: string }[],
  };
  const users = new Map<string, { id: string; email: string; name: string; password: string }>();
  const carts = new Map<string, Map<string, number>>();
  const orders = new Map<string, MessageInitShape<typeof OrderSchema> & { id: string; userId: string }>();
  const idempotency = new Map<string, { orderId: string; body: string }>();

  const products: (MessageInitShape<typeof ProductSchema> & { id: string; sku: string })[] = [
    { id: "P1", sku: "SKU-1", name: "Teapot", description: "Brass", category: "kitchen", price: usd(2500) },
    { id: "P2", sku: "SKU-2", name: "Rug", description: "Wool", category: "home", price: usd(9900), images: ["r.jpg"] },
  ];
  const stock = new Map([["SKU-1", 3n]]);

  const sign = (userId: string) => signAccessToken(state.signingKeys[0]!, { sub: userId });
  const tokenPair = async (userId: string) => ({
    tokens: { accessToken: await sign(userId), refreshToken: `refresh-${userId}`, expiresInSeconds: 900 },
  });
  const cartOf = (userId: string) => {
    const lines = carts.get(userId) ?? new Map<string, number>();
    carts.set(userId, lines);
    return lines;
  };
  const cartMessage = (userId: string) => {
    const lines = [...cartOf(userId)].map(([productId, quantity]) => {
      const product = products.find((p) => p.id === productId)!;
      const unit = Number(product.price!.amountMinor);
      return {
        productId,
        sku: product.sku,
        name: product.name,
        quantity: BigInt(quantity),
        unitPrice: usd(unit),
        lineTotal: usd(unit * quantity),
      };
    });
    return { cart: { lines, total: usd(lines.reduce((sum, l) => sum + Number(l.lineTotal.amountMinor), 0)) } };
  };
  const ownOrder = (userId: string, orderId: string) => {
    const order = orders.get(orderId);
    if (order === undefined || order.userId !== userId) throw notFound("ORDERS_NOT_FOUND", "no such order");
    return order;
  };

  const usersImpl: ServiceImpl<typeof UsersService> = {
    async registerUser(req) {
      if ([...users.values()].some((u) => u.email === req.email)) throw conflict("IDENTITY_EMAIL_TAKEN", "taken");
      const user = { id: `U${users.size + 1}`, email: req.email, name: req.name, password: req.password };
      users.set(user.id, user);
      return { user };
    },
    async getUser(req) {
      const user = users.get(req.id);
      if (user === undefined) throw notFound("IDENTITY_USER_NOT_FOUND", "no such user");
      return { user };
    },
  };
  const tokensImpl: ServiceImpl<typeof TokensService> = {
    async createToken(req) {
      const user = [...users.values()].find((u) => u.email === req.email && u.password === req.password);
      if (user === undefined) throw unauthenticated("IDENTITY_INVALID_CREDENTIALS", "wrong email or password");
      return tokenPair(user.id);
    },
    async refreshToken(req) {
      const userId = req.refreshToken.replace(/^refresh-/, "");
      if (!users.has(userId)) throw unauthenticated("IDENTITY_INVALID_REFRESH_TOKEN", "unknown refresh token");
      return tokenPair(userId);
    },
    async getJwks() {
      state.jwksCalls += 1;
      return { jwksJson: JSON.stringify({ keys: state.signingKeys.map((k) => k.publicJwk) }) };
    },
  };
  const catalogImpl: ServiceImpl<typeof CatalogService> = {
    async listProducts(req) {
      if (req.cursor === "bad")
        throw invalidArgument("CATALOG_INVALID_CURSOR", "bad cursor", [{ field: "cursor", message: "is invalid" }]);
      const matching = products.filter((p) => req.category === "" || p.category === req.category);
      const limit = req.limit === 0 ? 20 : req.limit;
      return { products: matching.slice(0, limit), nextCursor: matching.length > limit ? "next" : "" };
    },
    async getProduct(req) {
      const product = products.find((p) => p.id === req.id);
      if (product === undefined) throw notFound("CATALOG_PRODUCT_NOT_FOUND", "no such product");
      return { product };
    },
    async batchGetProducts(req) {
      return { products: products.filter((p) => req.ids.includes(p.id)) };
    },
    async listCategories() {
      return { categories: [{ slug: "home", name: "Home", productCount: 1 }] };
    },
    async seedProducts() {
      return { seeded: false, stock: [] };
    },
  };
  const inventoryImpl: ServiceImpl<typeof InventoryService> = {
    async getAvailability(req) {
      const known = req.skus.filter((sku) => stock.has(sku));
      return {
        levels: known.map((sku) => ({ sku, onHand: stock.get(sku)!, reserved: 0n, available: stock.get(sku)! })),
      };
    },
    setStockLevels: async () => ({}),
    reserveStock: async () => ({}),
    commitReservation: async () => ({}),
    releaseReservation: async () => ({}),
    restockReservation: async () => ({}),
  };
  const cartImpl: ServiceImpl<typeof CartService> = {
    getCart: async (req) => cartMessage(req.userId),
    async addItem(req) {
      if (!products.some((p) => p.id === req.productId)) throw notFound("CART_PRODUCT_NOT_FOUND", "no such product");
      const lines = cartOf(req.userId);
      lines.set(req.productId, (lines.get(req.productId) ?? 0) + Number(req.quantity));
      return cartMessage(req.userId);
    },
    async updateItem(req) {
      const lines = cartOf(req.userId);
      if (!lines.has(req.productId)) throw notFound("CART_LINE_NOT_FOUND", "no such line");
      lines.set(req.productId, Number(req.quantity));
      return cartMessage(req.userId);
    },
    async removeItem(req) {
      if (!cartOf(req.userId).delete(req.productId)) throw notFound("CART_LINE_NOT_FOUND", "no such line");
      return cartMessage(req.userId);
    },
    async clearCart(req) {
      carts.delete(req.userId);
      return {};
    },
  };
  const ordersImpl: ServiceImpl<typeof OrdersService> = {
    async checkout(req) {
      const cardNumber = req.card?.number ?? "";
      state.checkoutCalls.push({
        userId: req.userId,
        idempotencyKey: req.idempotencyKey,
        waitMs: req.waitMs,
        cardNumber,
      });
      const body = JSON.stringify([req.card, req.shippingAddress]);
      const seen = idempotency.get(`${req.userId}/${req.idempotencyKey}`);
      if (seen !== undefined) {
        if (seen.body !== body) throw failedPrecondition("ORDERS_IDEMPOTENCY_KEY_REUSED", "key reused");
        return { order: orders.get(seen.orderId), replayed: true };
      }
      if (cardNumber === "4000000000000000") {
        throw invalidArgument("PAYMENTS_INVALID_CARD", "invalid card", [
          { field: "card.number", message: "fails the Luhn check" },
          { field: "shipping_address.postal_code", message: "is unknown" },
        ]);
      }
      const { cart } = cartMessage(req.userId);
      if (cart.lines.length === 0) throw failedPrecondition("ORDERS_CART_EMPTY", "the cart is empty");
      const status =
        cardNumber === "4000000000000002"
          ? OrderStatus.CANCELLED
          : cardNumber === "4000000000000077"
            ? OrderStatus.PENDING
            : OrderStatus.CONFIRMED;
      const order = {
        id: `O${orders.size + 1}`,
        userId: req.userId,
        status,
        total: cart.total,
        lines: cart.lines,
        shippingAddress: req.shippingAddress,
        cancellationReason: status === OrderStatus.CANCELLED ? "card_declined" : "",
        createdAtMs: BigInt(Date.parse("2026-01-01T00:00:00Z")),
        updatedAtMs: 0n,
      };
      orders.set(order.id, order);
      idempotency.set(`${req.userId}/${req.idempotencyKey}`, { orderId: order.id, body });
      return { order, replayed: false };
    },
    getOrder: async (req) => ({ order: ownOrder(req.userId, req.orderId) }),
    async listOrders(req) {
      return { orders: [...orders.values()].filter((o) => o.userId === req.userId).reverse(), nextCursor: "" };
    },
    async cancelOrder(req) {
      const order = ownOrder(req.userId, req.orderId);
      if (order.status !== OrderStatus.CONFIRMED) throw failedPrecondition("ORDERS_NOT_CANCELLABLE", "not confirmed");
      order.status = OrderStatus.REFUNDED;
      return { order };
    },
  };

  const clients: GatewayClients = {
    users: inProcessClient(UsersService, usersImpl),
    tokens: inProcessClient(TokensService, tokensImpl),
    catalog: inProcessClient(CatalogService, catalogImpl),
    inventory: inProcessClient(InventoryService, inventoryImpl),
    cart: inProcessClient(CartService, cartImpl),
    orders: inProcessClient(OrdersService, ordersImpl),
  };
  return { clients, state };
}
