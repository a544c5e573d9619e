import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createInProcessEventLog,
  EVENTS,
  newEvent,
  TOPIC_SPECS,
  TOPICS,
  type EventEnvelope,
  type InProcessEventLog,
} from "@souk/messaging";
import { createMetrics, loadConfig, newId, type Metrics, type SqlDatabase } from "@souk/platform";
import { openTestDatabase, testLogger, waitFor } from "@souk/platform/testing";
import { ZERO_COUNTS } from "./domain/aggregates.ts";
import { toAnalyticsEvent } from "./events/analytics.events.ts";
import { AnalyticsConfig, createAnalyticsService, type AnalyticsUseCases } from "./index.ts";
import { orderStream, seededRandom, shuffled, type StreamEvent } from "./testing/order-stream.ts";

const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
/** The stream every test publishes (built once: each build mints new event ids). */
const STREAM = orderStream();
/** Every distinct valid event of the stream (14 order events + 9 payment events). */
const UNIQUE_EVENTS = 23;

type Service = Awaited<ReturnType<typeof createAnalyticsService>>;

/** Everything the API can tell, minus the consumer group name (which a rebuild changes). */
async function snapshot(uc: AnalyticsUseCases) {
  const { consumerGroup: _group, ...summary } = await uc.getSummary();
  return {
    summary,
    window: (await uc.getSummary(at("10:02:00"), at("10:04:00"))).currencies,
    timeseries: await uc.getTimeseries(at("10:00:00"), at("10:30:00"), ""),
    topByUnits: await uc.getTopProducts(100, "", "units"),
    topByRevenueEur: await uc.getTopProducts(100, "EUR", "revenue"),
    reasons: await uc.getCancellationReasons(),
  };
}

describe("analytics consuming the in-process event log (PGlite)", () => {
  let database: SqlDatabase;
  let eventLog: InProcessEventLog;
  let metrics: Metrics;
  let analytics: Service;
  let now = at("09:00:00");
  const clock = () => now;
  const config = loadConfig(AnalyticsConfig, { ANALYTICS_METRICS_CACHE_MS: "0" });
  let incremental: Awaited<ReturnType<typeof snapshot>>;

  const create = (m: Metrics = createMetrics()) =>
    createAnalyticsService({ database, config, logger: testLogger(), clock, eventLog, metrics: m });
  const publish = async (events: readonly StreamEvent[]) => {
    for (const { topic, event } of events) await eventLog.publish(topic, [event]);
  };
  const processed = async (uc: AnalyticsUseCases = analytics.useCases) => (await uc.getSummary()).eventsProcessed;

  beforeAll(async () => {
    database = await openTestDatabase();
    eventLog = createInProcessEventLog({ logger: testLogger() });
    await eventLog.ensureTopics(TOPIC_SPECS);
    metrics = createMetrics();
    // The consumer generation starts at 09:00: the stream (10:00–10:20) is live, its lag measured.
    analytics = await create(metrics);
    now = at("10:30:00");
    await analytics.start();
  });
  afterAll(async () => {
    await analytics?.stop();
    await eventLog?.close();
    await database?.close();
  });

  it("aggregates a stream with reordering, duplicates and poison events exactly", async () => {
    const stream = STREAM;
    const find = (type: string, orderId: string) => {
      const found = stream.find((e) => e.event.type === type && e.event.subject === orderId);
      if (found === undefined) throw new Error(`no ${type} for ${orderId}`);
      return found;
    };
    const o3Placed = find(EVENTS.orderPlaced.type, "o3");
    const o5Refunded = find(EVENTS.orderRefunded.type, "o5");
    // Out of order: o3's confirmation before its placement, o5's refund before everything of o5.
    const reordered = [o5Refunded, ...stream.filter((e) => e !== o3Placed && e !== o5Refunded), o3Placed];
    const poison: StreamEvent[] = [
      // Bytes that are no OrderConfirmed.
      {
        topic: TOPICS.orders,
        event: {
          ...o3Placed.event,
          id: newId(),
          type: EVENTS.orderConfirmed.type,
          dataschema: undefined,
          data: new Uint8Array([0x0a, 0xff]),
        },
      },
      // A valid payload analytics cannot count: no total.
      {
        topic: TOPICS.orders,
        event: newEvent(
          EVENTS.orderConfirmed,
          { orderId: "o-bad" },
          { source: "/souk/orders", subject: "o-bad", time: at("10:06:00") },
        ).event,
      },
    ];
    // Redelivered copies (same event ids).
    const duplicates = [find(EVENTS.orderConfirmed.type, "o1"), o5Refunded, find(EVENTS.paymentCaptured.type, "o3")];
    await publish([...reordered.slice(0, 10), ...poison, ...reordered.slice(10), ...duplicates]);

    await waitFor(
      async () => (await processed()) === UNIQUE_EVENTS && eventLog.deadLetters(TOPICS.orders).length === 2,
      {
        timeoutMs: 30_000,
        message: "the stream to be consumed",
      },
    );
    expect(
      eventLog
        .deadLetters(TOPICS.orders)
        .map((d) => d.deadLetter.reason)
        .sort(),
    ).toEqual(["invalid_payload", "malformed_payload"]);
    expect(eventLog.deadLetters(TOPICS.orders).every((d) => d.deadLetter.group === "analytics")).toBe(true);

    const summary = await analytics.useCases.getSummary();
    expect(summary).toEqual({
      consumerGroup: "analytics",
      eventsProcessed: UNIQUE_EVENTS,
      currencies: [
        {
          currency: "EUR",
          ordersPlaced: 4,
          ordersConfirmed: 2,
          ordersCancelled: 1,
          ordersRefunded: 1,
          revenueMinor: 5_500,
          refundsMinor: 3_000,
          payments: [
            { kind: "authorized", count: 2, amountMinor: 5_500 },
            { kind: "captured", count: 2, amountMinor: 5_500 },
            { kind: "refunded", count: 1, amountMinor: 3_000 },
            { kind: "failed", count: 1, amountMinor: 1_000 },
          ],
        },
        {
          currency: "USD",
          ordersPlaced: 3,
          ordersConfirmed: 1,
          ordersCancelled: 2,
          ordersRefunded: 0,
          revenueMinor: 4_000,
          refundsMinor: 0,
          payments: [
            { kind: "authorized", count: 1, amountMinor: 4_000 },
            { kind: "captured", count: 1, amountMinor: 4_000 },
            { kind: "failed", count: 1, amountMinor: 1_500 },
          ],
        },
      ],
    });
    // [10:02, 10:04): o3 confirmed and o4 placed (10:02), o4 cancelled and o5 placed + confirmed (10:03).
    expect((await analytics.useCases.getSummary(at("10:02:00"), at("10:04:00"))).currencies).toEqual([
      {
        currency: "EUR",
        ...ZERO_COUNTS,
        ordersPlaced: 1,
        ordersConfirmed: 1,
        revenueMinor: 3_000,
        payments: [
          { kind: "authorized", count: 1, amountMinor: 3_000 },
          { kind: "captured", count: 1, amountMinor: 3_000 },
        ],
      },
      {
        currency: "USD",
        ...ZERO_COUNTS,
        ordersPlaced: 1,
        ordersConfirmed: 1,
        ordersCancelled: 1,
        revenueMinor: 4_000,
        payments: [{ kind: "captured", count: 1, amountMinor: 4_000 }],
      },
    ]);

    const series = await analytics.useCases.getTimeseries(at("10:00:00"), at("10:30:00"), "");
    expect(series).toHaveLength(30 * 2);
    const active = series
      .filter((b) => Object.keys(ZERO_COUNTS).some((k) => b[k as keyof typeof ZERO_COUNTS] !== 0))
      .map((b) => ({ ...b, minute: b.minute.toISOString().slice(11, 16) }));
    expect(active).toEqual([
      { minute: "10:00", currency: "EUR", ...ZERO_COUNTS, ordersPlaced: 1, ordersConfirmed: 1, revenueMinor: 2_500 },
      { minute: "10:01", currency: "EUR", ...ZERO_COUNTS, ordersPlaced: 1, ordersCancelled: 1 },
      { minute: "10:01", currency: "USD", ...ZERO_COUNTS, ordersPlaced: 1 },
      { minute: "10:02", currency: "USD", ...ZERO_COUNTS, ordersPlaced: 1, ordersConfirmed: 1, revenueMinor: 4_000 },
      { minute: "10:03", currency: "EUR", ...ZERO_COUNTS, ordersPlaced: 1, ordersConfirmed: 1, revenueMinor: 3_000 },
      { minute: "10:03", currency: "USD", ...ZERO_COUNTS, ordersCancelled: 1 },
      { minute: "10:04", currency: "USD", ...ZERO_COUNTS, ordersPlaced: 1, ordersCancelled: 1 },
      { minute: "10:05", currency: "EUR", ...ZERO_COUNTS, ordersPlaced: 1 },
      { minute: "10:20", currency: "EUR", ...ZERO_COUNTS, ordersRefunded: 1, refundsMinor: 3_000 },
    ]);
    expect(
      (await analytics.useCases.getTimeseries(at("10:00:00"), at("10:05:00"), "USD")).map((b) => b.ordersPlaced),
    ).toEqual([0, 1, 1, 0, 1]);

    expect(await analytics.useCases.getTopProducts(10, "", "units")).toEqual([
      { productId: "p-tea", sku: "TEA-1", name: "Tea", currency: "EUR", units: 7, revenueMinor: 3_500 },
      { productId: "p-mug", sku: "MUG-1", name: "Mug", currency: "USD", units: 4, revenueMinor: 4_000 },
      { productId: "p-mug", sku: "MUG-1", name: "Mug", currency: "EUR", units: 2, revenueMinor: 2_000 },
    ]);
    expect((await analytics.useCases.getTopProducts(1, "EUR", "revenue")).map((p) => p.productId)).toEqual(["p-tea"]);
    expect(await analytics.useCases.getCancellationReasons()).toEqual([
      { reason: "card_declined", count: 2 },
      { reason: "insufficient_stock", count: 1 },
    ]);
    incremental = await snapshot(analytics.useCases);
  });

  it("measures order confirmed → analytics updated, in SQL and in the lag histogram", async () => {
    // Applied at 10:30:00: o1 confirmed 10:00:50 (1 750 s), o3 10:02:10 (1 670 s), o5 10:03:40 (1 580 s).
    const lag = await analytics.useCases.getEventLag(0);
    expect(lag.count).toBe(3);
    expect(lag.p50Ms).toBe(1_670_000);
    expect(lag.p99Ms).toBeCloseTo(1_748_400, 6);
    expect(lag.maxMs).toBe(1_750_000);
    const text = await metrics.registry.metrics();
    expect(text).toContain('souk_analytics_event_lag_seconds_count{type="souk.order.confirmed.v1"} 3');
    expect(text).toContain('souk_analytics_event_lag_seconds_sum{type="souk.order.confirmed.v1"} 5000');
  });

  it("exports the aggregates as Prometheus business metrics", async () => {
    const text = await metrics.registry.metrics();
    for (const line of [
      'souk_orders_total{currency="EUR",status="placed"} 4',
      'souk_orders_total{currency="EUR",status="confirmed"} 2',
      'souk_orders_total{currency="EUR",status="cancelled"} 1',
      'souk_orders_total{currency="EUR",status="refunded"} 1',
      'souk_orders_total{currency="USD",status="confirmed"} 1',
      'souk_orders_total{currency="USD",status="cancelled"} 2',
      'souk_revenue_minor_total{currency="EUR"} 5500',
      'souk_revenue_minor_total{currency="USD"} 4000',
      'souk_refunds_minor_total{currency="EUR"} 3000',
      // 3 confirmed / (3 confirmed + 3 cancelled).
      "souk_checkout_conversion_ratio 0.5",
      'souk_order_cancellations_total{reason="card_declined"} 2',
      'souk_order_cancellations_total{reason="insufficient_stock"} 1',
      'souk_payments_total{currency="USD",kind="failed"} 1',
      `souk_analytics_events_processed ${UNIQUE_EVENTS}`,
    ]) {
      expect(text.split("\n")).toContain(line);
    }
  });

  it("a redelivered event is a no-op, through the log and through the use case", async () => {
    const [first] = STREAM;
    if (first === undefined) throw new Error("empty stream");
    // The same event id (a fresh envelope object, identical content) published again.
    await eventLog.publish(first.topic, [first.event]);
    const body = toAnalyticsEvent(first.event);
    if (body === undefined) throw new Error("not an analytics event");
    const outcome = await analytics.useCases.recordEvent({
      id: first.event.id,
      type: first.event.type,
      time: first.event.time,
      group: "analytics",
      body,
    });
    expect(outcome).toEqual({ status: "duplicate" });
    // A logically identical event under a new id (a producer retry) counts once too.
    await eventLog.publish(first.topic, [{ ...first.event, id: newId() }]);
    await waitFor(async () => (await processed()) === UNIQUE_EVENTS + 1, { message: "the re-sent event" });
    expect(await snapshot(analytics.useCases)).toEqual({
      ...incremental,
      summary: { ...incremental.summary, eventsProcessed: UNIQUE_EVENTS + 1 },
    });
  });

  it("rebuild replays every topic from the beginning under a new group and yields identical aggregates", async () => {
    now = at("11:00:00");
    const before = await snapshot(analytics.useCases);
    const state = await analytics.useCases.rebuildAggregates();
    expect(state).toEqual({
      baseGroup: "analytics",
      consumerGroup: `analytics-rebuild-${at("11:00:00").getTime()}`,
      startedAt: at("11:00:00"),
    });
    await waitFor(async () => (await processed()) === UNIQUE_EVENTS + 1, { timeoutMs: 30_000, message: "the replay" });
    const after = await snapshot(analytics.useCases);
    expect(after).toEqual(before);
    expect((await analytics.useCases.getSummary()).consumerGroup).toBe(state.consumerGroup);
    // Replayed events happened before the rebuild: no lag is measured for them.
    expect(await analytics.useCases.getEventLag(0)).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    // The poison events were dead-lettered again by the new group.
    expect(eventLog.deadLetters(TOPICS.orders).filter((d) => d.deadLetter.group === state.consumerGroup)).toHaveLength(
      2,
    );
  });

  it("a restarted service keeps the rebuilt group and resumes where it stopped", async () => {
    await analytics.stop();
    const group = (await analytics.useCases.getSummary()).consumerGroup;
    const restarted = await create();
    expect((await restarted.useCases.getSummary()).consumerGroup).toBe(group);
    await restarted.start();
    try {
      const late = newEvent(
        EVENTS.orderPlaced,
        { orderId: "o8", userId: "u8", total: { amountMinor: 100n, currency: "EUR" }, lines: [] },
        { source: "/souk/orders", subject: "o8", time: at("11:05:00") },
      ).event;
      now = at("11:05:01");
      await eventLog.publish(TOPICS.orders, [late]);
      await waitFor(async () => (await processed(restarted.useCases)) === UNIQUE_EVENTS + 2, { message: "o8" });
      const eur = (await restarted.useCases.getSummary()).currencies.find((c) => c.currency === "EUR");
      expect(eur?.ordersPlaced).toBe(5);
    } finally {
      await restarted.stop();
    }
    await analytics.start();
  });

  it("a replica left in the old group switches to the rebuilt one without double counting", async () => {
    // A second member of the current group, then a rebuild through the first member.
    const replica = await create();
    await replica.start();
    try {
      now = at("12:00:00");
      const state = await analytics.useCases.rebuildAggregates();
      await waitFor(async () => (await processed()) === UNIQUE_EVENTS + 2, {
        timeoutMs: 30_000,
        message: "the replay",
      });
      // The replica still reads the abandoned group: the next events reach it there, are refused
      // (stale) and it moves to the new group, where every event is applied exactly once.
      const more = Array.from(
        { length: 12 },
        (_, i) =>
          newEvent(
            EVENTS.orderPlaced,
            { orderId: `late-${i}`, userId: "u", total: { amountMinor: 10n, currency: "USD" }, lines: [] },
            { source: "/souk/orders", subject: `late-${i}`, time: at("11:59:30") },
          ).event,
      );
      await eventLog.publish(TOPICS.orders, more);
      await waitFor(async () => (await processed()) === UNIQUE_EVENTS + 2 + 12, {
        timeoutMs: 30_000,
        message: "late events",
      });
      const usd = (await analytics.useCases.getSummary()).currencies.find((c) => c.currency === "USD");
      expect(usd?.ordersPlaced).toBe(3 + 12);
      expect((await analytics.useCases.getSummary()).consumerGroup).toBe(state.consumerGroup);
      // What the replica's handler was told for each of them in the abandoned group:
      const [late] = more;
      const body = late === undefined ? undefined : toAnalyticsEvent(late);
      if (late === undefined || body === undefined) throw new Error("no late event");
      const previousGroup = `analytics-rebuild-${at("11:00:00").getTime()}`;
      expect(
        await replica.useCases.recordEvent({
          id: newId(),
          type: late.type,
          time: late.time,
          group: previousGroup,
          body,
        }),
      ).toEqual({ status: "stale", consumerGroup: state.consumerGroup });
    } finally {
      await replica.stop();
    }
  });
});

describe("aggregates are a pure function of the events (PGlite)", () => {
  let database: SqlDatabase;
  let analytics: Service;

  beforeAll(async () => {
    database = await openTestDatabase();
    analytics = await createAnalyticsService({
      database,
      config: loadConfig(AnalyticsConfig, {}),
      logger: testLogger(),
      clock: () => at("09:00:00"),
      eventLog: createInProcessEventLog(),
      metrics: createMetrics(),
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  /** Records `events` straight through the use case (the consumer is not started). */
  async function feed(events: readonly EventEnvelope[], group: string): Promise<void> {
    for (const event of events) {
      const body = toAnalyticsEvent(event);
      if (body === undefined) continue;
      await analytics.useCases.recordEvent({ id: event.id, type: event.type, time: event.time, group, body });
    }
  }

  it("any arrival order, with duplicates, gives the aggregates of the in-order run", async () => {
    const stream = STREAM.map((e) => e.event);
    await feed(stream, "analytics");
    const inOrder = await snapshot(analytics.useCases);
    expect(inOrder.summary.eventsProcessed).toBe(UNIQUE_EVENTS);
    for (const seed of [1, 7, 42]) {
      const random = seededRandom(seed);
      // From scratch: wipe (a rebuild while stopped subscribes nothing), then every event in a
      // random order, a third of them twice.
      const { consumerGroup } = await analytics.useCases.rebuildAggregates();
      const withDuplicates = [...stream, ...stream.filter(() => random() < 1 / 3)];
      await feed(shuffled(withDuplicates, random), consumerGroup);
      expect(await snapshot(analytics.useCases)).toEqual(inOrder);
    }
  });

  it("refuses to rebuild when the event log does not keep every event", async () => {
    const embedded = await createAnalyticsService({
      database,
      config: loadConfig(AnalyticsConfig, { ANALYTICS_REBUILD_ENABLED: "false" }),
      logger: testLogger(),
      clock: () => at("09:00:00"),
      eventLog: createInProcessEventLog(),
      metrics: createMetrics(),
    });
    const before = await snapshot(embedded.useCases);
    await expect(embedded.useCases.rebuildAggregates()).rejects.toMatchObject({
      kind: "failed_precondition",
      code: "ANALYTICS_REBUILD_DISABLED",
    });
    expect(await snapshot(embedded.useCases)).toEqual(before);
  });
});
