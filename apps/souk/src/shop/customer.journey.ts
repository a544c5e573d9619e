// One scripted customer: register, log in, browse, search, fill a cart, check out, follow the order.
import { createSeededRandom, deriveSeed, type SeededRandom } from "./seeded-random.ts";
import { catalogWord, SEARCH_WORDS, typoOf } from "./search-terms.ts";
import type { ShopRecorder } from "./shop.recorder.ts";
import { ApiError, type CheckoutRequest, type StoreClient } from "./store.client.ts";
import type { Order, OrderStatus, Product, Tokens } from "./store.shapes.ts";
import { cardForCustomer } from "./test-cards.ts";

/** How long a customer waits for a PENDING order to settle before counting it as still pending (ms). */
export const ORDER_POLL_BUDGET_MS = 30_000;
/** At most this many polls per wait, whatever the budget. */
const MAX_POLLS = 60;
/** A token this close to expiry is refreshed before use (ms). */
const TOKEN_REFRESH_MARGIN_MS = 15_000;

/**
 * Checkout refusals that create no order and are part of normal shopping: 409 (stock ran out,
 * the cart changed). A 422 (same Idempotency-Key, other body) would be a bug here, so it is not one.
 */
const CHECKOUT_REFUSALS = new Set([409]);

const FIRST_NAMES = ["Amina", "Youssef", "Lena", "Mateo", "Priya", "Kofi", "Sofia", "Hiro", "Fatima", "Oliver"];
const LAST_NAMES = ["El Idrissi", "Novak", "Okafor", "García", "Chen", "Müller", "Haddad", "Silva", "Kowalski"];
const ADDRESSES = [
  { line1: "12 Derb Dabachi", city: "Marrakesh", postalCode: "40000", country: "MA" },
  { line1: "221B Baker Street", city: "London", postalCode: "NW1 6XE", country: "GB" },
  { line1: "Torstraße 1", city: "Berlin", postalCode: "10119", country: "DE" },
  { line1: "500 Market Street", city: "San Francisco", postalCode: "94105", country: "US" },
  { line1: "8 Rue de Rivoli", city: "Paris", postalCode: "75004", country: "FR" },
];

/** Everything one journey needs; time and randomness come in, so a run is reproducible. */
export interface JourneyContext {
  readonly client: StoreClient;
  readonly recorder: ShopRecorder;
  /** Unique per run; keeps emails of reruns apart. Lower-case letters and digits. */
  readonly runId: string;
  readonly seed: number;
  /** The customer's number in the run (0-based). */
  readonly customer: number;
  /** Monotonic milliseconds. */
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly newIdempotencyKey: () => string;
  /** A year in the future for card expiry dates. */
  readonly cardExpiryYear: number;
}

/** A journey that stopped on an unexpected error; `step` names where, `cause` is the error. */
export class JourneyError extends Error {
  override readonly name = "JourneyError";
  readonly step: string;

  constructor(step: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.step = step;
  }
}

/**
 * Walks one customer through the store, recording every outcome on `ctx.recorder`. Expected
 * refusals (a taken email, 409 out of stock, a refused checkout or cancel) are counted, not thrown.
 * Throws JourneyError on anything else (an unexpected status, a timeout, a malformed body).
 */
export async function walkCustomerJourney(ctx: JourneyContext): Promise<void> {
  const { client, recorder } = ctx;
  const random = createSeededRandom(deriveSeed(ctx.seed, 2 * ctx.customer));
  const email = `shopper-${ctx.runId}-${ctx.customer}@example.com`;
  const password = `Souk-${ctx.runId}-${ctx.customer}-pw!`;
  const name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
  let step = "register";
  try {
    try {
      await client.register({ email, password, name });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      recorder.shopping.alreadyRegistered += 1;
    }

    step = "login";
    const session = createSession(ctx, await client.login({ email, password }));

    step = "browse";
    const seen = new Map<string, Product>();
    await browse(ctx, random, seen);

    step = "search";
    await search(ctx, random, seen);

    step = "cart";
    const filled = await fillCart(ctx, random, session, seen);
    if (!filled) {
      recorder.shopping.emptyCarts += 1;
      return;
    }
    if (random.chance(0.2)) {
      step = "refresh";
      await session.refresh();
    }

    step = "checkout";
    const placed = await checkOut(ctx, random, session, name);
    if (placed === null) return;

    step = "orders";
    await followOrder(ctx, random, session, placed);
  } catch (error) {
    throw new JourneyError(step, error);
  }
}

interface Session {
  /** A valid access token, refreshed first when it is about to expire. */
  token(): Promise<string>;
  refresh(): Promise<void>;
}

function createSession(ctx: JourneyContext, first: Tokens): Session {
  let tokens = first;
  let expiresAtMs = ctx.nowMs() + first.expiresIn * 1000;
  const session: Session = {
    async token() {
      if (ctx.nowMs() >= expiresAtMs - TOKEN_REFRESH_MARGIN_MS) await session.refresh();
      return tokens.accessToken;
    },
    async refresh() {
      tokens = await ctx.client.refresh(tokens.refreshToken);
      expiresAtMs = ctx.nowMs() + tokens.expiresIn * 1000;
      ctx.recorder.shopping.tokenRefreshes += 1;
    },
  };
  return session;
}

/** Lists one or two categories (sometimes a second page), then opens two to four product pages. */
async function browse(ctx: JourneyContext, random: SeededRandom, seen: Map<string, Product>): Promise<void> {
  const categories = (await ctx.client.categories()).filter((c) => c.productCount > 0);
  const chosen = random.sample(categories, random.integer(1, 2));
  if (chosen.length === 0) remember(seen, (await ctx.client.products({ limit: 20 })).items);
  for (const category of chosen) {
    const page = await ctx.client.products({ category: category.slug, limit: 12 });
    remember(seen, page.items);
    if (page.nextCursor !== null && random.chance(0.3)) {
      remember(
        seen,
        (await ctx.client.products({ category: category.slug, limit: 12, cursor: page.nextCursor })).items,
      );
    }
  }
  for (const product of random.sample([...seen.values()], random.integer(2, 4))) {
    remember(seen, [await ctx.client.product(product.id)]);
    ctx.recorder.shopping.productViews += 1;
  }
}

/** Two or three searches: a common word, a word from a product seen, and always one typo. */
async function search(ctx: JourneyContext, random: SeededRandom, seen: Map<string, Product>): Promise<void> {
  const names = [...seen.values()].map((p) => catalogWord(p.name)).filter((w): w is string => w !== null);
  const fromCatalog = names.length > 0 ? random.pick(names) : random.pick(SEARCH_WORDS);
  const terms = [random.pick(SEARCH_WORDS), fromCatalog].slice(0, random.integer(1, 2));
  terms.push(typoOf(random.chance(0.5) ? fromCatalog : random.pick(SEARCH_WORDS), random));
  for (const q of terms) {
    remember(seen, (await ctx.client.products({ q, limit: 10 })).items);
    ctx.recorder.shopping.searches += 1;
  }
}

/**
 * Adds one to three in-stock products (409 "not enough stock" is counted and skipped), sometimes
 * changes a quantity or removes a line. Returns whether the cart ends non-empty.
 */
async function fillCart(
  ctx: JourneyContext,
  random: SeededRandom,
  session: Session,
  seen: Map<string, Product>,
): Promise<boolean> {
  const { client, recorder } = ctx;
  const inStock = [...seen.values()].filter((p) => p.available > 0);
  const lines = new Map<string, { product: Product; quantity: number }>();
  for (const product of random.sample(inStock, random.integer(1, 3))) {
    const quantity = product.available >= 2 && random.chance(0.25) ? 2 : 1;
    try {
      await client.addToCart(await session.token(), product.id, quantity);
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      recorder.shopping.insufficientStock += 1;
      continue;
    }
    lines.set(product.id, { product, quantity });
    recorder.shopping.cartLinesAdded += 1;
  }
  const changeable = [...lines.values()].filter((l) => l.quantity === 2 || l.product.available >= 2);
  if (changeable.length > 0 && random.chance(0.3)) {
    const line = random.pick(changeable);
    const quantity = line.quantity === 1 ? 2 : 1;
    try {
      await client.setCartQuantity(await session.token(), line.product.id, quantity);
      line.quantity = quantity;
      recorder.shopping.cartLinesUpdated += 1;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      recorder.shopping.insufficientStock += 1;
    }
  }
  if (lines.size >= 2 && random.chance(0.2)) {
    const line = random.pick([...lines.values()]);
    await client.removeFromCart(await session.token(), line.product.id);
    lines.delete(line.product.id);
    recorder.shopping.cartLinesRemoved += 1;
  }
  if (lines.size === 0) return false;
  const cart = await client.cart(await session.token());
  return cart.items.length > 0;
}

/**
 * Checks out with the customer's test card (sometimes replaying the same Idempotency-Key to check
 * the store answers with the same order), then waits for a PENDING order to settle. Returns the
 * order, or null when the store refused the checkout.
 */
async function checkOut(
  ctx: JourneyContext,
  random: SeededRandom,
  session: Session,
  name: string,
): Promise<{ order: Order; card: string } | null> {
  const { client, recorder } = ctx;
  const card = cardForCustomer(ctx.seed, ctx.customer);
  const request: CheckoutRequest = {
    payment: { card: { number: card.number, expMonth: 12, expYear: ctx.cardExpiryYear, cvc: "123" } },
    shippingAddress: { name, ...random.pick(ADDRESSES) },
  };
  const key = ctx.newIdempotencyKey();
  let order: Order;
  try {
    order = await client.checkout(await session.token(), key, request);
  } catch (error) {
    if (!(error instanceof ApiError && CHECKOUT_REFUSALS.has(error.status))) throw error;
    recorder.checkoutRejected(error.code);
    recorder.cardOutcome(card.behaviour, "rejected");
    return null;
  }
  recorder.orders.placed += 1;
  if (random.chance(0.1)) {
    // The same key and body must answer the first order (ARCHITECTURE.md, invariants).
    recorder.orders.idempotentReplays += 1;
    try {
      const replay = await client.checkout(await session.token(), key, request);
      if (replay.id !== order.id) recorder.orders.idempotencyMismatches += 1;
    } catch (error) {
      if (!isStatus(error, 422)) throw error;
      recorder.orders.idempotencyMismatches += 1;
    }
  }
  order = await waitForOrder(ctx, session, order, (status) => status !== "PENDING");
  if (order.status === "CONFIRMED") recorder.orders.confirmed += 1;
  return { order, card: card.behaviour };
}

/** Sometimes lists the orders; sometimes cancels a confirmed one; records the order's final status. */
async function followOrder(
  ctx: JourneyContext,
  random: SeededRandom,
  session: Session,
  placed: { order: Order; card: string },
): Promise<void> {
  const { client, recorder } = ctx;
  let order = placed.order;
  if (random.chance(0.3)) await client.orders(await session.token());
  if (order.status === "CONFIRMED" && random.chance(0.1)) {
    recorder.orders.customerCancels += 1;
    try {
      const cancelling = await client.cancelOrder(await session.token(), order.id);
      order = await waitForOrder(ctx, session, cancelling, (s) => s === "CANCELLED" || s === "REFUNDED");
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      recorder.orders.cancelRefused += 1;
    }
  }
  recorder.cardOutcome(placed.card, order.status);
  if (order.status === "PENDING") recorder.orders.stillPending += 1;
  if (order.status === "REFUNDED") recorder.orders.refunded += 1;
  if (order.status === "CANCELLED") recorder.orderCancelled(order.cancellationReason ?? "unspecified");
}

/** Polls the order with backoff (100 ms doubling to 1 s) until `settled`, within the poll budget. */
async function waitForOrder(
  ctx: JourneyContext,
  session: Session,
  order: Order,
  settled: (status: OrderStatus) => boolean,
): Promise<Order> {
  const deadlineMs = ctx.nowMs() + ORDER_POLL_BUDGET_MS;
  let delayMs = 100;
  for (let polls = 0; !settled(order.status) && polls < MAX_POLLS && ctx.nowMs() < deadlineMs; polls += 1) {
    await ctx.sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 1_000);
    order = await ctx.client.order(await session.token(), order.id);
  }
  return order;
}

function remember(seen: Map<string, Product>, products: readonly Product[]): void {
  for (const product of products) seen.set(product.id, product);
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof ApiError && error.status === status;
}
