import { createHook } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { murmur2 as libraryMurmur2 } from "@platformatic/kafka";
import { testLogger } from "@souk/platform/testing";
import { EVENTS, newEvent } from "./catalog.ts";
import { createInProcessEventLog, DEFAULT_RETAINED_EVENTS_PER_PARTITION } from "./in-process-event-log.ts";
import { describeEventLogContract } from "./event-log.contract.ts";
import { murmur2, partitionForSubject } from "./event-log-common.ts";
import { waitFor } from "@souk/platform/testing";
import { pause } from "./testing.ts";

describeEventLogContract("in-process", {
  quietMs: 50,
  deliveryTimeoutMs: 5_000,
  async open() {
    const log = createInProcessEventLog({ logger: testLogger() });
    return {
      log,
      readDeadLetters: async (topic) => log.deadLetters(topic),
      waitForGroup: async () => undefined,
      close: () => log.close(),
    };
  },
});

const event = (subject: string) =>
  newEvent(EVENTS.userRegistered, { userId: subject }, { source: "/souk/test", subject, time: new Date() }).event;

describe("in-process event log", () => {
  it("places subjects with Kafka's murmur2 partitioner", () => {
    const utf8 = new TextEncoder();
    for (const key of ["", "a", "ab", "abc", "abcd", "order-0193", "ünïcødé-ключ", "x".repeat(257)]) {
      expect(murmur2(utf8.encode(key)), key).toBe(libraryMurmur2(Buffer.from(key)));
    }
    // Kafka's Java client: Utils.toPositive(Utils.murmur2("21".getBytes())) % 6 …
    expect(partitionForSubject("21", 6)).toBe((libraryMurmur2("21") & 0x7fffffff) % 6);
  });

  it("rejects publishing to, or subscribing to, a topic that was never created", async () => {
    const log = createInProcessEventLog();
    await expect(log.publish("nope.v1", [event("u1")])).rejects.toThrow(/unknown topic "nope.v1"/);
    await expect(log.subscribe({ topics: ["nope.v1"], group: "g", handle: async () => undefined })).rejects.toThrow(
      /unknown topic/,
    );
    await log.close();
  });

  it("hands each consumer its own copy of the payload", async () => {
    const log = createInProcessEventLog();
    await log.ensureTopics([{ name: "copies.v1", partitions: 2 }]);
    const seen: number[][] = [];
    for (const group of ["a", "b"]) {
      await log.subscribe({
        topics: ["copies.v1"],
        group,
        handle: async (e) => {
          seen.push([...e.data]);
          e.data.fill(0xee); // a consumer scribbling on its buffer
        },
      });
    }
    const sent = event("u1");
    await log.publish("copies.v1", [sent]);
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([[...sent.data], [...sent.data]]);
    await log.close();
  });

  it("parks idle consumers instead of polling", async () => {
    const log = createInProcessEventLog();
    await log.ensureTopics([{ name: "idle.v1", partitions: 6 }]);
    for (let i = 0; i < 20; i++) {
      await log.subscribe({ topics: ["idle.v1"], group: `g${i}`, handle: async () => undefined });
    }
    // Counted, not timed (the event loop's utilization flaked on a busy machine): a polling
    // consumer schedules a timer or an immediate per poll (a 20 ms poll: 1,681 in this window for
    // the twenty consumers' 120 partition workers); a parked one schedules none. The pause itself
    // is the one timer counted here.
    const scheduled = { Timeout: 0, Immediate: 0 };
    const hook = createHook({
      init(_id, type) {
        if (type === "Timeout" || type === "Immediate") scheduled[type]++;
      },
    }).enable();
    try {
      await pause(300);
    } finally {
      hook.disable();
    }
    expect(scheduled.Timeout + scheduled.Immediate, JSON.stringify(scheduled)).toBeLessThan(20);
    await log.close();
  });

  it("moves a partition to another member only after the previous owner's event finished", async () => {
    const log = createInProcessEventLog();
    await log.ensureTopics([{ name: "handover.v1", partitions: 1 }]);
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const handledBy: string[] = [];
    const first = await log.subscribe({
      topics: ["handover.v1"],
      group: "g",
      handle: async (e) => {
        handledBy.push(`first:${e.subject}`);
        await blocked;
      },
    });
    await log.publish("handover.v1", [event("u1"), event("u2")]);
    await waitFor(() => handledBy.length === 1);
    const closing = first.close();
    await log.subscribe({
      topics: ["handover.v1"],
      group: "g",
      handle: async (e) => void handledBy.push(`second:${e.subject}`),
    });
    await pause(20);
    expect(handledBy).toEqual(["first:u1"]); // the second member waits for the first's event
    release();
    await closing;
    await waitFor(() => handledBy.length === 2);
    expect(handledBy).toEqual(["first:u1", "second:u2"]);
    await log.close();
  });
});

describe("in-process event log retention", () => {
  it("drops the oldest events every group handled, never those a group has not", async () => {
    const log = createInProcessEventLog({ retainedEventsPerPartition: 10 });
    await log.ensureTopics([{ name: "retained.v1", partitions: 1 }]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: string[] = [];
    const fast: string[] = [];
    await log.subscribe({ topics: ["retained.v1"], group: "fast", handle: async (e) => void fast.push(e.subject) });
    await log.subscribe({
      topics: ["retained.v1"],
      group: "slow",
      handle: async (e) => {
        await gate;
        slow.push(e.subject);
      },
    });
    const events = Array.from({ length: 100 }, (_, i) => event(`u${i}`));
    for (const e of events) await log.publish("retained.v1", [e]);
    await waitFor(() => fast.length === 100);
    release(); // the slow group still gets every event: nothing it had not handled was dropped
    await waitFor(() => slow.length === 100);
    expect(slow).toEqual(events.map((e) => e.subject));

    await log.publish(
      "retained.v1",
      Array.from({ length: 20 }, (_, i) => event(`v${i}`)),
    );
    await waitFor(() => slow.length === 120 && fast.length === 120);
    // A new group reading from the beginning starts at the oldest retained event.
    const late: string[] = [];
    const lateOffsets: number[] = [];
    await log.subscribe({
      topics: ["retained.v1"],
      group: "late",
      handle: async (e) => {
        late.push(e.subject);
        lateOffsets.push(Number(e.offset));
      },
    });
    await waitFor(() => late.at(-1) === "v19");
    expect(late.length).toBeGreaterThanOrEqual(10);
    expect(late.length).toBeLessThan(30);
    expect(late.at(0)).not.toBe("u0");
    // Offsets stay absolute: the last of 120 events is offset 119 whatever was dropped.
    expect(lateOffsets.at(-1)).toBe(119);
    expect(lateOffsets).toEqual(lateOffsets.map((_, i) => lateOffsets[0]! + i));
    await log.close();
  });

  it("keeps at most 1.5 × the default retention of handled events by default", async () => {
    const log = createInProcessEventLog();
    await log.ensureTopics([{ name: "default.v1", partitions: 1 }]);
    const handled: string[] = [];
    await log.subscribe({ topics: ["default.v1"], group: "g", handle: async (e) => void handled.push(e.subject) });
    const published = Array.from({ length: 10 * DEFAULT_RETAINED_EVENTS_PER_PARTITION }, (_, i) => `u${i}`);
    for (const [i, subject] of published.entries()) {
      await log.publish("default.v1", [event(subject)]);
      if (i % 10 === 9) await pause(0); // the group keeps up, as consumers do between requests
    }
    await waitFor(() => handled.length === published.length);
    // What a group reading from the beginning still finds is what the log holds.
    const late: string[] = [];
    await log.subscribe({
      topics: ["default.v1"],
      group: "late",
      from: "beginning",
      handle: async (e) => void late.push(e.subject),
    });
    await waitFor(() => late.at(-1) === published.at(-1));
    expect(late.length).toBeGreaterThanOrEqual(DEFAULT_RETAINED_EVENTS_PER_PARTITION);
    expect(late.length).toBeLessThanOrEqual(1.5 * DEFAULT_RETAINED_EVENTS_PER_PARTITION);
    expect(late).toEqual(published.slice(-late.length));
    await log.close();
  });
});
