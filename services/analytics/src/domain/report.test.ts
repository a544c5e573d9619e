import { describe, expect, it } from "vitest";
import { ZERO_COUNTS } from "./aggregates.ts";
import { rebuildGroupName } from "./consumer-state.ts";
import {
  conversionOf,
  currencyFilter,
  denseSeries,
  lagSamples,
  summaryWindow,
  timeseriesWindow,
  topProductsQuery,
} from "./report.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
const NOW = at("12:30:45");

describe("report rules", () => {
  it("conversion is confirmed over checkouts that ended, 0 when none did", () => {
    expect(conversionOf({ ordersConfirmed: 3, ordersCancelled: 1 })).toBe(0.75);
    expect(conversionOf({ ordersConfirmed: 0, ordersCancelled: 0 })).toBe(0);
  });

  it("a summary window truncates from to the minute; absent ends are open", () => {
    expect(summaryWindow(at("10:00:30"), NOW)).toEqual({ from: at("10:00:00"), to: NOW });
    expect(summaryWindow(undefined, undefined)).toEqual({ from: undefined, to: undefined });
    expect(() => summaryWindow(at("11:00:00"), at("10:00:00"))).toThrow(
      expect.objectContaining({
        code: "ANALYTICS_INVALID_RANGE",
        fields: [{ field: "from", message: "must not be after to" }],
      }),
    );
  });

  it("a timeseries covers the last 60 minutes by default and at most 1440", () => {
    expect(timeseriesWindow(undefined, undefined, NOW)).toEqual({ from: at("11:30:00"), to: NOW });
    const day = new Date(at("00:00:00").getTime() + 24 * 3_600_000);
    expect(timeseriesWindow(at("00:00:00"), day, NOW)).toEqual({ from: at("00:00:00"), to: day });
    expect(() => timeseriesWindow(at("00:00:00"), new Date(day.getTime() + 1), NOW)).toThrow(
      expect.objectContaining({ code: "ANALYTICS_INVALID_RANGE" }),
    );
    expect(() => timeseriesWindow(at("12:00:00"), at("11:00:00"), NOW)).toThrow(
      expect.objectContaining({ code: "ANALYTICS_INVALID_RANGE" }),
    );
  });

  it("a dense series has every minute of every currency, zeros included", () => {
    const stored = [{ minute: at("10:01:00"), currency: "USD", ...ZERO_COUNTS, ordersPlaced: 2 }];
    const series = denseSeries(stored, { from: at("10:00:00"), to: at("10:02:30") }, ["EUR", "USD"]);
    expect(series.map((b) => [b.minute.toISOString().slice(11, 16), b.currency, b.ordersPlaced])).toEqual([
      ["10:00", "EUR", 0],
      ["10:00", "USD", 0],
      ["10:01", "EUR", 0],
      ["10:01", "USD", 2],
      ["10:02", "EUR", 0],
      ["10:02", "USD", 0],
    ]);
    expect(denseSeries([], { from: at("10:00:00"), to: at("10:05:00") })).toEqual([]);
  });

  it("validates currencies, top-product queries and lag samples", () => {
    expect(currencyFilter("")).toBeUndefined();
    expect(currencyFilter("EUR")).toBe("EUR");
    expect(() => currencyFilter("eur")).toThrow(expect.objectContaining({ code: "ANALYTICS_INVALID_CURRENCY" }));
    expect(topProductsQuery(0, "", "units")).toEqual({ limit: 10, currency: undefined, rankBy: "units" });
    expect(topProductsQuery(100, "USD", "revenue")).toEqual({ limit: 100, currency: "USD", rankBy: "revenue" });
    expect(() => topProductsQuery(101, "", "units")).toThrow(
      expect.objectContaining({ code: "ANALYTICS_INVALID_LIMIT" }),
    );
    expect(() => topProductsQuery(-1, "", "units")).toThrow(
      expect.objectContaining({ code: "ANALYTICS_INVALID_LIMIT" }),
    );
    expect(() => topProductsQuery(5, "", "revenue")).toThrow(
      expect.objectContaining({ code: "ANALYTICS_CURRENCY_REQUIRED" }),
    );
    expect(lagSamples(0)).toBe(1_000);
    expect(lagSamples(100_000)).toBe(100_000);
    expect(() => lagSamples(100_001)).toThrow(expect.objectContaining({ code: "ANALYTICS_INVALID_LIMIT" }));
  });

  it("rebuild groups are named after the clock and never repeat, even when it stands still", () => {
    const first = rebuildGroupName("analytics", NOW, "analytics");
    expect(first).toBe(`analytics-rebuild-${NOW.getTime()}`);
    const second = rebuildGroupName("analytics", NOW, first);
    expect(second).toBe(`analytics-rebuild-${NOW.getTime() + 1}`);
    expect(rebuildGroupName("analytics", at("13:00:00"), second)).toBe(`analytics-rebuild-${at("13:00:00").getTime()}`);
  });
});
