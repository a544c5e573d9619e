import { describe, expect, it } from "vitest";
import { SoukError } from "@souk/platform";
import {
  assertSameAuthorization,
  blockedOutcome,
  decideCapture,
  decideRefund,
  decideVoid,
  providerOutcome,
  validateAuthorizationRequest,
  type Payment,
  type PaymentStatus,
} from "./payment.ts";
import { screenBeforeProvider, screenProviderResult } from "./fraud.ts";

const payment = (status: PaymentStatus): Payment => ({
  id: "p-1",
  orderId: "o-1",
  userId: "u-1",
  paymentMethodId: "m-1",
  amount: { amountMinor: 1_000, currency: "USD" },
  status,
  failureCode: status === "FAILED" ? "card_declined" : undefined,
  authorizationId: status === "PENDING" || status === "FAILED" ? undefined : "auth_sim_x",
  riskLevel: undefined,
  leaseUntil: new Date(0),
});

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as SoukError).code;
  }
  return "no error";
};

describe("payment state machine", () => {
  it("captures only an authorized payment; a captured one is a no-op", () => {
    expect(decideCapture(payment("AUTHORIZED"))).toBe("capture");
    expect(decideCapture(payment("CAPTURED"))).toBe("noop");
    for (const s of ["PENDING", "VOIDED", "REFUNDED", "FAILED"] as const) {
      expect(
        codeOf(() => decideCapture(payment(s))),
        s,
      ).toBe("PAYMENTS_NOT_CAPTURABLE");
    }
  });

  it("voids an authorized payment; failed or voided is a no-op; captured money needs a refund", () => {
    expect(decideVoid(payment("AUTHORIZED"))).toBe("void");
    expect(decideVoid(payment("FAILED"))).toBe("noop");
    expect(decideVoid(payment("VOIDED"))).toBe("noop");
    expect(codeOf(() => decideVoid(payment("CAPTURED")))).toBe("PAYMENTS_NOT_VOIDABLE");
    expect(codeOf(() => decideVoid(payment("REFUNDED")))).toBe("PAYMENTS_NOT_VOIDABLE");
  });

  it("refunds a captured payment; a refunded one is a no-op; nothing else", () => {
    expect(decideRefund(payment("CAPTURED"))).toBe("refund");
    expect(decideRefund(payment("REFUNDED"))).toBe("noop");
    for (const s of ["PENDING", "AUTHORIZED", "VOIDED", "FAILED"] as const) {
      expect(
        codeOf(() => decideRefund(payment(s))),
        s,
      ).toBe("PAYMENTS_NOT_REFUNDABLE");
    }
  });
});

describe("authorization requests", () => {
  it("names every bad field", () => {
    try {
      validateAuthorizationRequest({
        orderId: "",
        userId: " ",
        paymentMethodId: "",
        amount: { amountMinor: 0, currency: "usd" },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ kind: "invalid_argument", code: "PAYMENTS_INVALID_REQUEST" });
      expect((error as SoukError).fields.map((f) => f.field)).toEqual([
        "order_id",
        "user_id",
        "payment_method_id",
        "amount.amount_minor",
        "amount.currency",
      ]);
    }
    expect(
      codeOf(() =>
        validateAuthorizationRequest({ orderId: "o", userId: "u", paymentMethodId: "m", amount: undefined }),
      ),
    ).toBe("PAYMENTS_INVALID_REQUEST");
    expect(
      codeOf(() =>
        validateAuthorizationRequest({
          orderId: "o",
          userId: "u",
          paymentMethodId: "m",
          amount: { amountMinor: 2 ** 60, currency: "USD" },
        }),
      ),
    ).toBe("PAYMENTS_INVALID_REQUEST");
  });

  it("accepts a replay with the same details and refuses one with other details", () => {
    const request = {
      orderId: "o-1",
      userId: "u-1",
      paymentMethodId: "m-1",
      amount: { amountMinor: 1_000, currency: "USD" },
    };
    expect(() => assertSameAuthorization(payment("AUTHORIZED"), request)).not.toThrow();
    expect(
      codeOf(() =>
        assertSameAuthorization(payment("AUTHORIZED"), { ...request, amount: { amountMinor: 999, currency: "USD" } }),
      ),
    ).toBe("PAYMENTS_IDEMPOTENCY_MISMATCH");
    expect(codeOf(() => assertSameAuthorization(payment("AUTHORIZED"), { ...request, userId: "u-2" }))).toBe(
      "PAYMENTS_IDEMPOTENCY_MISMATCH",
    );
  });
});

describe("authorization outcomes", () => {
  const policy = { maxAmountMinor: 100, velocityMax: 5, velocityWindowMs: 60_000 };

  it("a pre-provider block fails with the rule's code", () => {
    const screening = screenBeforeProvider({ amountMinor: 101, attemptsInWindow: 1, cardBlocked: false }, policy);
    expect(blockedOutcome(screening)).toEqual({
      status: "FAILED",
      failureCode: "fraud_amount_threshold",
      riskLevel: undefined,
    });
    expect(
      blockedOutcome(screenBeforeProvider({ amountMinor: 1, attemptsInWindow: 1, cardBlocked: false }, policy)),
    ).toBeUndefined();
  });

  it("maps the provider's answer", () => {
    const approved = { outcome: "approved", authorizationId: "auth", riskLevel: "normal" } as const;
    expect(providerOutcome(approved, screenProviderResult(approved))).toEqual({
      status: "AUTHORIZED",
      authorizationId: "auth",
      riskLevel: "normal",
    });
    const risky = { ...approved, riskLevel: "highest" } as const;
    expect(providerOutcome(risky, screenProviderResult(risky))).toMatchObject({
      status: "FAILED",
      failureCode: "fraudulent",
    });
    const declined = { outcome: "declined", code: "insufficient_funds" } as const;
    expect(providerOutcome(declined, screenProviderResult(declined))).toMatchObject({
      status: "FAILED",
      failureCode: "insufficient_funds",
    });
  });
});
