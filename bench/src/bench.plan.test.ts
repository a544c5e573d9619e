import { describe, expect, it } from "vitest";
import { FULL_PLAN, ladderFor, QUICK_PLAN } from "./bench.plan.ts";

describe("ladder plans", () => {
  it("gives checkout few probing customers and a higher explosion floor, on the plan's steps", () => {
    const checkout = ladderFor(FULL_PLAN, "checkout");
    expect(checkout).toMatchObject({ stepMs: 4_000, probeConcurrency: 4 });
    expect(checkout.rule.p99ExplodeFloorMs).toBe(2_000);
    expect(ladderFor(FULL_PLAN, "mix").rule.p99ExplodeFloorMs).toBe(1_000);
    expect(ladderFor(QUICK_PLAN, "product").stepMs).toBe(1_000);
  });

  it("steps the store's ladders for storeStepMs when set, and NGINX's for the plan's", () => {
    const plan = { ...FULL_PLAN, storeStepMs: 20_000 };
    for (const scenario of ["product", "browse", "search", "cart", "checkout", "mix"] as const) {
      expect(ladderFor(plan, scenario).stepMs, scenario).toBe(20_000);
    }
    expect(ladderFor(plan, "checkout")).toMatchObject({ probeConcurrency: 4, rule: { p99ExplodeFloorMs: 2_000 } });
    expect(ladderFor(plan, "cart").probeConcurrency).toBe(Math.min(32, FULL_PLAN.cartCustomers));
    expect(ladderFor(plan, "static").stepMs).toBe(4_000);
  });
});
