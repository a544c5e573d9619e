import { describe, expect, it } from "vitest";
import { describeReason, escapeHtml, formatMoney, orderNumber, renderOrderEmail } from "./email-template.ts";
import type { NotificationEvent, OrderEventData } from "./notification-event.ts";

const orderId = "0199a0b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b";

function orderEvent(data: Partial<OrderEventData> & Pick<OrderEventData, "status">): NotificationEvent {
  const full: OrderEventData = {
    object: "order",
    orderId,
    userId: "user-1",
    lines: [],
    total: { amount: 4_998, currency: "USD" },
    reason: null,
    placedAt: "2026-01-01T10:00:00.000Z",
    occurredAt: "2026-01-01T10:00:05.000Z",
    ...data,
  };
  return {
    id: "evt-1",
    type: `order.${data.status}`,
    orderId,
    userId: "user-1",
    occurredAt: new Date(full.occurredAt),
    data: full,
  };
}

const branding = { storeName: "Souk" };
const ada = { email: "ada@example.com", name: "Ada" };

describe("formatMoney", () => {
  it("prints major units exactly, with the currency's own minor digits", () => {
    expect(formatMoney({ amount: 1_999, currency: "USD" })).toBe("USD 19.99");
    expect(formatMoney({ amount: 123_456_789, currency: "EUR" })).toBe("EUR 1,234,567.89");
    expect(formatMoney({ amount: 5, currency: "USD" })).toBe("USD 0.05");
    expect(formatMoney({ amount: 500, currency: "JPY" })).toBe("JPY 500");
    expect(formatMoney({ amount: 1_250, currency: "KWD" })).toBe("KWD 1.250");
    expect(formatMoney({ amount: -250, currency: "USD" })).toBe("-USD 2.50");
  });

  it("keeps each currency's digits when asked again, in any order (they are remembered per code)", () => {
    const codes = ["JPY", "KWD", "USD", "JPY", "USD", "KWD", "JPY"];
    expect(codes.map((currency) => formatMoney({ amount: 12_345, currency }))).toEqual([
      "JPY 12,345",
      "KWD 12.345",
      "USD 123.45",
      "JPY 12,345",
      "USD 123.45",
      "KWD 12.345",
      "JPY 12,345",
    ]);
  });

  it("prints hundredths for a code that is not a currency, every time", () => {
    for (const currency of ["usd?", "", "NOT-A-CODE", "usd?"]) {
      expect(formatMoney({ amount: 1_999, currency })).toBe(`${currency} 19.99`);
    }
  });
});

describe("describeReason", () => {
  it("says known reasons in words and never leaks an unknown code", () => {
    expect(describeReason("card_declined")).toBe("your card was declined");
    expect(describeReason("insufficient_stock")).toBe("an item in your order is out of stock");
    expect(describeReason("fraud_velocity")).toBe("the payment was flagged by our fraud checks");
    expect(describeReason("compensation_step_7_failed")).toBe("we could not complete it");
    expect(describeReason(null)).toBe("we could not complete it");
  });
});

describe("renderOrderEmail", () => {
  it("confirmed: the order number, every line and the total", () => {
    const email = renderOrderEmail(
      orderEvent({
        status: "confirmed",
        lines: [
          {
            productId: "p1",
            sku: "MUG-1",
            name: "Mug",
            quantity: 2,
            unitPrice: { amount: 1_250, currency: "USD" },
            lineTotal: { amount: 2_500, currency: "USD" },
          },
          {
            productId: "p2",
            sku: "TEA-9",
            name: "Tea",
            quantity: 1,
            unitPrice: { amount: 2_498, currency: "USD" },
            lineTotal: { amount: 2_498, currency: "USD" },
          },
        ],
      }),
      ada,
      branding,
    );
    expect(orderNumber(orderId)).toBe("0C1D2E3F4A5B");
    expect(email.subject).toBe("Your Souk order 0C1D2E3F4A5B is confirmed");
    expect(email.text).toContain("Hello Ada,");
    expect(email.text).toContain("2 × Mug (MUG-1): USD 25.00");
    expect(email.text).toContain("1 × Tea (TEA-9): USD 24.98");
    expect(email.text).toContain("Total: USD 49.98");
    expect(email.html).toContain("<li>2 × Mug (MUG-1): USD 25.00</li>");
  });

  it("cancelled: the reason in words, not the code, and no charge", () => {
    const email = renderOrderEmail(orderEvent({ status: "cancelled", reason: "card_declined" }), ada, branding);
    expect(email.subject).toBe("Your Souk order 0C1D2E3F4A5B was cancelled");
    expect(email.text).toContain("because your card was declined.");
    expect(email.text).not.toContain("card_declined");
    expect(email.text).toContain("You have not been charged the USD 49.98.");
  });

  it("refunded: the amount refunded", () => {
    const email = renderOrderEmail(orderEvent({ status: "refunded", reason: "customer_requested" }), ada, branding);
    expect(email.subject).toBe("Your Souk order 0C1D2E3F4A5B was refunded");
    expect(email.text).toContain("We refunded USD 49.98 to your card");
  });

  it("escapes every interpolated value in the HTML body", () => {
    const mallory = { email: "m@example.com", name: `<script>alert("x")</script>` };
    const email = renderOrderEmail(orderEvent({ status: "confirmed" }), mallory, branding);
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(escapeHtml(`a&b'`)).toBe("a&amp;b&#39;");
  });

  it("has no template for payment events", () => {
    const payment: NotificationEvent = {
      ...orderEvent({ status: "confirmed" }),
      type: "payment.captured",
      data: {
        object: "payment",
        paymentId: "pay-1",
        orderId,
        userId: "user-1",
        status: "captured",
        amount: { amount: 1, currency: "USD" },
        failureCode: null,
        occurredAt: "2026-01-01T10:00:05.000Z",
      },
    };
    expect(() => renderOrderEmail(payment, ada, branding)).toThrow(TypeError);
  });
});
