import { describe, expect, it } from "vitest";
import { createShopRecorder } from "./shop.recorder.ts";
import { formatSummary, type ShopSummary } from "./summary.ts";

const latency = (count: number, p50Ms: number) => ({ count, p50Ms, p90Ms: p50Ms * 2, p99Ms: p50Ms * 4, maxMs: 987.6 });

const SUMMARY: ShopSummary = {
  runId: "m3x9k2ab",
  baseUrl: "http://127.0.0.1:8080",
  seed: 17,
  concurrency: 10,
  customers: 50,
  completedCustomers: 49,
  failedCustomers: 1,
  failures: [{ customer: 12, step: "checkout", message: "500 INTERNAL from POST /v1/checkout: internal error" }],
  requests: 1234,
  errorsByStatus: { "409": 6, "500": 1, timeout: 2 },
  serverErrors: {
    count: 1,
    samples: [{ method: "POST", route: "/v1/checkout", status: 500, code: "INTERNAL", detail: "internal error" }],
  },
  orders: {
    placed: 45,
    confirmed: 31,
    cancelledByReason: { card_declined: 5, insufficient_funds: 4, fraud: 3 },
    refunded: 2,
    stillPending: 1,
    checkoutRejected: { ORDERS_INSUFFICIENT_STOCK: 3 },
    customerCancels: 2,
    cancelRefused: 0,
    idempotentReplays: 4,
    idempotencyMismatches: 0,
    byCard: { success: { CONFIRMED: 29, REFUNDED: 2 }, declined: { CANCELLED: 5 } },
  },
  shopping: {
    productViews: 150,
    searches: 120,
    cartLinesAdded: 98,
    insufficientStock: 6,
    cartLinesUpdated: 12,
    cartLinesRemoved: 4,
    emptyCarts: 1,
    alreadyRegistered: 0,
    tokenRefreshes: 9,
  },
  wallTimeMs: 12_345,
  throughputRps: 99.96,
  latency: {
    auth: latency(150, 12.5),
    browse: latency(400, 3.25),
    search: latency(120, 8),
    cart: latency(300, 4),
    checkout: latency(49, 250),
    orders: latency(90, 2),
  },
};

describe("formatSummary", () => {
  const text = formatSummary(SUMMARY);

  it("reports the run, customers and throughput", () => {
    expect(text).toContain("m3x9k2ab");
    expect(text).toContain("seed 17");
    expect(text).toContain("50 (49 completed, 1 failed)");
    expect(text).toContain("1234 in 12.3 s = 100.0 req/s");
  });

  it("reports order outcomes, cancellations by reason and card outcomes", () => {
    expect(text).toMatch(/45 placed · 31 confirmed · 12 cancelled · 2 refunded · 1 still pending/);
    expect(text).toContain("card_declined 5 · insufficient_funds 4 · fraud 3");
    expect(text).toContain("ORDERS_INSUFFICIENT_STOCK 3");
    expect(text).toContain("success: CONFIRMED 29 · REFUNDED 2");
    expect(text).toContain("4 replays, 0 returned a different order");
  });

  it("reports errors by status and lists unexpected 5xx and failed customers", () => {
    expect(text).toContain("409 6 · timeout 2 · 500 1");
    expect(text).toContain("1 unexpected");
    expect(text).toContain("500 POST /v1/checkout INTERNAL: internal error");
    expect(text).toContain("#12 at checkout: 500 INTERNAL");
  });

  it("prints one latency row per class with count and percentiles in ms", () => {
    const row = text.split("\n").find((line) => line.trimStart().startsWith("checkout "));
    expect(row?.trim().split(/\s+/)).toEqual(["checkout", "49", "250.0", "500.0", "1000.0", "987.6"]);
    for (const name of ["auth", "browse", "search", "cart", "orders"])
      expect(text).toMatch(new RegExp(`\\n  ${name} `));
  });

  it("says none when nothing was counted", () => {
    const empty = createShopRecorder().summarize({
      runId: "r",
      baseUrl: "http://x",
      seed: 1,
      concurrency: 1,
      customers: 0,
      wallTimeMs: 0,
    });
    const emptyText = formatSummary(empty);
    expect(emptyText).toContain("errors      none");
    expect(emptyText).not.toContain("failed customers");
  });
});

describe("createShopRecorder", () => {
  it("turns latencies into percentiles in ms and keeps 5xx apart", () => {
    const recorder = createShopRecorder();
    const request = { method: "GET", route: "/v1/products" };
    for (let ms = 1; ms <= 100; ms += 1) recorder.response("browse", request, 200, ms, { code: "", detail: "" });
    recorder.response("checkout", { method: "POST", route: "/v1/checkout" }, 503, 5, {
      code: "UNAVAILABLE",
      detail: "payments is unavailable",
    });
    recorder.response("cart", { method: "POST", route: "/v1/cart/items" }, 409, 5, { code: "X", detail: "" });
    recorder.noResponse("timeout");
    const summary = recorder.summarize({
      runId: "r",
      baseUrl: "http://x",
      seed: 1,
      concurrency: 1,
      customers: 1,
      wallTimeMs: 2_000,
    });
    expect(summary.requests).toBe(103);
    expect(summary.throughputRps).toBeCloseTo(51.5);
    expect(summary.latency.browse.count).toBe(100);
    expect(summary.latency.browse.p50Ms).toBeCloseTo(50, 0);
    expect(summary.latency.browse.p90Ms).toBeCloseTo(90, 0);
    expect(summary.latency.browse.p99Ms).toBeCloseTo(99, 0);
    expect(summary.latency.browse.maxMs).toBeCloseTo(100, 0);
    expect(summary.latency.search).toEqual({ count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
    expect(summary.errorsByStatus).toEqual({ "409": 1, "503": 1, timeout: 1 });
    expect(summary.serverErrors).toEqual({
      count: 1,
      samples: [
        { method: "POST", route: "/v1/checkout", status: 503, code: "UNAVAILABLE", detail: "payments is unavailable" },
      ],
    });
  });
});
