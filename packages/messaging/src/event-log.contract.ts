import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { currentTraceId, initTracing, isBackgroundWork, newId } from "@souk/platform";
import { PoisonMessageError, PROTOBUF_CONTENT_TYPE, type EventEnvelope } from "./envelope.ts";
import type { EventLog, ReceivedEvent } from "./event-log.ts";
import { decodeEvent, EVENTS, isEvent, newEvent } from "./catalog.ts";
import { partitionForSubject, type DeadLetteredEvent } from "./event-log-common.ts";
import { waitFor } from "@souk/platform/testing";
import { pause } from "./testing.ts";

/** A record written without Souk's adapter (a foreign producer), for poison tests. */
export interface RawRecord {
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the contract suite needs from one adapter, for one test. */
export interface EventLogHarness {
  /** The adapter under test; closed by `close`. */
  readonly log: EventLog;
  /** Every dead letter of `topic` so far (what `<topic>.dlq` holds), read back from the log. */
  readDeadLetters(topic: string): Promise<DeadLetteredEvent[]>;
  /** Writes a raw record to `topic` bypassing the adapter; absent where no foreign producer exists. */
  readonly writeRaw?: (topic: string, record: RawRecord) => Promise<void>;
  /** Resolves once `group` has settled with `members` members (partitions assigned). */
  waitForGroup(group: string, members: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of `describeEventLogContract`. */
export interface EventLogContractOptions {
  /** Opens a fresh harness for one test. */
  open(): Promise<EventLogHarness>;
  /** How long the suite watches that nothing more arrives, in ms. */
  readonly quietMs: number;
  /** Upper bound for events to arrive, in ms. */
  readonly deliveryTimeoutMs: number;
}

const PARTITIONS = 6;
const FAST_RETRY = { baseMs: 5, maxMs: 40 };

/** A valid catalogue event (`souk.order.placed.v1`) about `subject`, numbered `seq` (in its `userId`). */
export function orderPlaced(subject: string, seq: number): EventEnvelope {
  return newEvent(
    EVENTS.orderPlaced,
    { orderId: subject, userId: `seq-${seq}` },
    { source: "/souk/contract-test", subject, time: new Date(Date.UTC(2025, 0, 1, 12, 0, seq % 60, 123)) },
  ).event;
}

/** The `seq` an `orderPlaced` event carries. */
export const seqOf = (event: EventEnvelope): number => {
  const decoded = decodeEvent(event);
  if (!isEvent(decoded, EVENTS.orderPlaced)) throw new Error(`not an order placed event: ${event.type}`);
  return Number(decoded.payload.userId.slice("seq-".length));
};

/**
 * The behaviour every EventLog adapter must have (the port's contract): run it from one test
 * file per adapter, `describeEventLogContract("kafka", { open, … })`. Each test gets fresh,
 * uniquely named topics and groups, so runs never meet.
 */
export function describeEventLogContract(adapter: string, options: EventLogContractOptions): void {
  describe(`EventLog contract: ${adapter}`, () => {
    let harness: EventLogHarness;
    let log: EventLog;
    const run = newId().replaceAll("-", "").slice(-12);
    let counter = 0;
    const unique = (what: string) => `contract.${run}.${what}.${++counter}`;
    const waitMs = options.deliveryTimeoutMs;

    async function newTopic(): Promise<string> {
      const topic = unique("topic");
      await log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
      return topic;
    }

    beforeAll(() => {
      // Registers the W3C propagator so that handlers run in a span continuing the event's trace.
      initTracing({ serviceName: "messaging-contract-test" });
    });

    beforeEach(async () => {
      harness = await options.open();
      log = harness.log;
    });

    afterEach(async () => {
      await harness.close();
    });

    it("delivers every CloudEvents attribute, the payload and the trace context intact, in the event's trace, as background work", async () => {
      const topic = await newTopic();
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const sent: EventEnvelope = {
        ...orderPlaced("order-attrs", 7),
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        tracestate: "souk=contract,other=1",
      };
      const received: ReceivedEvent[] = [];
      const traceIds: (string | undefined)[] = [];
      const marked: boolean[] = [];
      await log.subscribe({
        topics: [topic],
        group: unique("group"),
        handle: async (event) => {
          received.push(event);
          traceIds.push(currentTraceId());
          marked.push(isBackgroundWork());
        },
      });
      const data = new Uint8Array(sent.data);
      await log.publish(topic, [{ ...sent, data }]);
      data.fill(0); // the log owns its copy: a producer reusing its buffer changes nothing
      await waitFor(() => received.length === 1, { timeoutMs: waitMs, message: "the event" });

      const event = received[0]!;
      expect(event).toMatchObject({
        id: sent.id,
        source: "/souk/contract-test",
        type: "souk.order.placed.v1",
        subject: "order-attrs",
        datacontenttype: PROTOBUF_CONTENT_TYPE,
        dataschema: "proto:souk.events.v1.OrderPlaced",
        traceparent: sent.traceparent,
        tracestate: "souk=contract,other=1",
        topic,
        partition: partitionForSubject("order-attrs", PARTITIONS),
      });
      expect(event.time.toISOString()).toBe(sent.time.toISOString());
      expect(Buffer.from(event.data).equals(Buffer.from(sent.data))).toBe(true);
      expect(event.offset).toMatch(/^\d+$/);
      const decoded = decodeEvent(event);
      expect(decoded.definition).toBe(EVENTS.orderPlaced);
      expect(decoded.payload).toMatchObject({ orderId: "order-attrs", userId: "seq-7" });
      // The handler ran in a span of the event's trace (`<topic> process`, child of its traceparent).
      expect(traceIds).toEqual([traceId]);
      // Marked, so that on the embedded database the handler's statements give way to requests'.
      expect(marked).toEqual([true]);
    });

    it("keeps each subject's events in order across partitions (200 events, 20 subjects)", async () => {
      const topic = await newTopic();
      const subjects = Array.from({ length: 20 }, (_, i) => `order-${run}-${i}`);
      const seen = new Map<string, number[]>();
      const partitions = new Set<number>();
      let handled = 0;
      await log.subscribe({
        topics: [topic],
        group: unique("group"),
        handle: async (event) => {
          const seqs = seen.get(event.subject) ?? [];
          seqs.push(seqOf(event));
          seen.set(event.subject, seqs);
          partitions.add(event.partition);
          expect(event.partition).toBe(partitionForSubject(event.subject, PARTITIONS));
          handled++;
        },
      });
      // Ten publishes of 20 events, each subject once per publish: order must hold across calls.
      for (let seq = 0; seq < 10; seq++) {
        await log.publish(
          topic,
          subjects.map((subject) => orderPlaced(subject, seq)),
        );
      }
      await waitFor(() => handled >= 200, { timeoutMs: waitMs, message: "200 events" });
      await pause(options.quietMs);
      expect(handled).toBe(200);
      for (const subject of subjects) expect(seen.get(subject)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(partitions.size).toBeGreaterThan(1);
    });

    it("shares a group's partitions between its members and hands each event to one of them", async () => {
      const topic = await newTopic();
      const group = unique("group");
      const byMember = [new Map<string, number>(), new Map<string, number>()];
      const partitionsOf = [new Set<number>(), new Set<number>()];
      for (const member of [0, 1]) {
        await log.subscribe({
          topics: [topic],
          group,
          handle: async (event) => {
            byMember[member]!.set(event.id, (byMember[member]!.get(event.id) ?? 0) + 1);
            partitionsOf[member]!.add(event.partition);
          },
        });
      }
      await harness.waitForGroup(group, 2);
      const events = Array.from({ length: 120 }, (_, i) => orderPlaced(`order-${run}-group-${i % 30}`, i));
      await log.publish(topic, events);
      const total = () => byMember[0]!.size + byMember[1]!.size;
      await waitFor(() => total() >= 120, { timeoutMs: waitMs, message: "120 events" });
      await pause(options.quietMs);

      expect(byMember[0]!.size).toBeGreaterThan(0);
      expect(byMember[1]!.size).toBeGreaterThan(0);
      for (const event of events) {
        const count = (byMember[0]!.get(event.id) ?? 0) + (byMember[1]!.get(event.id) ?? 0);
        expect(count, `event ${event.id} handled ${count} times`).toBe(1);
      }
      expect([...partitionsOf[0]!].filter((p) => partitionsOf[1]!.has(p))).toEqual([]);
    });

    it("loses nothing and keeps each subject's order while members join and leave mid-stream", async () => {
      const topic = await newTopic();
      const group = unique("group");
      const subjects = Array.from({ length: 12 }, (_, i) => `order-${run}-rebalance-${i}`);
      // Per subject, the sequence numbers in the order they were first handled (redeliveries,
      // allowed by at-least-once, are counted apart).
      const firstSeen = new Map<string, number[]>();
      const seenIds = new Set<string>();
      let redeliveries = 0;
      const handle = async (event: ReceivedEvent) => {
        if (seenIds.has(event.id)) {
          redeliveries++;
          return;
        }
        seenIds.add(event.id);
        firstSeen.set(event.subject, [...(firstSeen.get(event.subject) ?? []), seqOf(event)]);
        await pause(5); // some work, so that rebalances catch events in flight
      };
      const first = await log.subscribe({ topics: [topic], group, handle });
      let second: Awaited<ReturnType<EventLog["subscribe"]>> | undefined;
      for (let seq = 0; seq < 10; seq++) {
        await log.publish(
          topic,
          subjects.map((subject) => orderPlaced(subject, seq)),
        );
        if (seq === 2) second = await log.subscribe({ topics: [topic], group, handle });
        if (seq === 6) await first.close();
        await pause(10);
      }
      await waitFor(() => seenIds.size >= 120, { timeoutMs: waitMs, message: "all 120 events" });
      for (const subject of subjects) expect(firstSeen.get(subject)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(redeliveries).toBeLessThan(120);
      await second?.close();
    });

    it("redelivers what a member closed without committing to the next member (at least once)", async () => {
      const topic = await newTopic();
      const group = unique("group");
      const subject = `order-${run}-stuck`;
      const events = [0, 1, 2].map((seq) => orderPlaced(subject, seq));
      let attempts = 0;
      const first = await log.subscribe({
        topics: [topic],
        group,
        retry: FAST_RETRY,
        handle: async (event) => {
          if (event.id === events[1]!.id) {
            attempts++;
            throw new Error("database unavailable");
          }
        },
      });
      await log.publish(topic, events);
      await waitFor(() => attempts >= 2, { timeoutMs: waitMs, message: "retries of the failing event" });
      await first.close();

      const second: number[] = [];
      await log.subscribe({ topics: [topic], group, handle: async (event) => void second.push(seqOf(event)) });
      await waitFor(() => second.length >= 2, { timeoutMs: waitMs, message: "redelivery" });
      await pause(options.quietMs);
      // Event 0 was committed by the first member; 1 was not, so it comes again, then 2.
      expect(second).toEqual([1, 2]);
    });

    it("resumes a restarted group after its last committed event, not from the beginning", async () => {
      const topic = await newTopic();
      const group = unique("group");
      const subjects = Array.from({ length: 5 }, (_, i) => `order-${run}-resume-${i}`);
      const before = subjects.map((s) => orderPlaced(s, 0));
      const after = subjects.map((s) => orderPlaced(s, 1));
      await log.publish(topic, before);

      const firstRun: string[] = [];
      const first = await log.subscribe({ topics: [topic], group, handle: async (e) => void firstRun.push(e.id) });
      await waitFor(() => firstRun.length >= 5, { timeoutMs: waitMs, message: "the first five events" });
      await first.close();

      await log.publish(topic, after);
      const secondRun: string[] = [];
      await log.subscribe({ topics: [topic], group, handle: async (e) => void secondRun.push(e.id) });
      await waitFor(() => secondRun.length >= 5, { timeoutMs: waitMs, message: "the next five events" });
      await pause(options.quietMs);
      expect(firstRun.sort()).toEqual(before.map((e) => e.id).sort());
      expect(secondRun.sort()).toEqual(after.map((e) => e.id).sort());
    });

    it('starts a new group at the end with from: "end", and at the beginning by default', async () => {
      const topic = await newTopic();
      const old = [0, 1, 2, 3].map((i) => orderPlaced(`order-${run}-old-${i}`, i));
      await log.publish(topic, old);

      const fromEnd: string[] = [];
      const fromBeginning: string[] = [];
      await log.subscribe({
        topics: [topic],
        group: unique("group"),
        from: "end",
        handle: async (e) => void fromEnd.push(e.id),
      });
      await log.subscribe({
        topics: [topic],
        group: unique("group"),
        handle: async (e) => void fromBeginning.push(e.id),
      });
      const fresh = [0, 1, 2].map((i) => orderPlaced(`order-${run}-new-${i}`, i));
      await log.publish(topic, fresh);
      await waitFor(() => fromEnd.length >= 3 && fromBeginning.length >= 7, {
        timeoutMs: waitMs,
        message: "the new events",
      });
      await pause(options.quietMs);
      expect(fromEnd.sort()).toEqual(fresh.map((e) => e.id).sort());
      expect(fromBeginning.sort()).toEqual([...old, ...fresh].map((e) => e.id).sort());
    });

    it("retries a transient handler error and keeps the partition's order", async () => {
      const topic = await newTopic();
      const subject = `order-${run}-flaky`;
      const events = Array.from({ length: 10 }, (_, seq) => orderPlaced(subject, seq));
      const handled: number[] = [];
      const attemptsOf3: number[] = [];
      await log.subscribe({
        topics: [topic],
        group: unique("group"),
        retry: FAST_RETRY,
        handle: async (event) => {
          const seq = seqOf(event);
          if (seq === 3) {
            attemptsOf3.push(Date.now());
            if (attemptsOf3.length < 3) throw new Error("deadlock detected; try again");
          }
          handled.push(seq);
        },
      });
      await log.publish(topic, events);
      await waitFor(() => handled.length >= 10, { timeoutMs: waitMs, message: "ten events" });
      await pause(options.quietMs);
      expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(attemptsOf3).toHaveLength(3);
    });

    it("dead-letters poison events with their reason, and neither blocks the partition nor stops the consumer", async () => {
      const topic = await newTopic();
      const group = unique("group");
      const subject = `order-${run}-poison`;
      const good = (seq: number) => orderPlaced(subject, seq);
      const badPayload: EventEnvelope = { ...good(100), data: new Uint8Array([0x0a, 0xff, 0x01]) };
      const unknownType: EventEnvelope = { ...good(101), type: "souk.order.teleported.v1" };
      const nextVersion: EventEnvelope = { ...good(102), type: "souk.order.placed.v2" };
      const refused: EventEnvelope = good(103);
      const handled: number[] = [];
      await log.subscribe({
        topics: [topic],
        group,
        retry: FAST_RETRY,
        handle: async (event) => {
          decodeEvent(event); // throws PoisonMessageError for the bad ones
          if (event.id === refused.id) throw new PoisonMessageError("business_rule", "order lines are empty");
          handled.push(seqOf(event));
        },
      });
      await log.publish(topic, [good(0), badPayload, good(1), unknownType, good(2), nextVersion, good(3), refused]);
      if (harness.writeRaw !== undefined) {
        // A foreign producer's record without CloudEvents headers: same key, so the same partition.
        await harness.writeRaw(topic, {
          key: subject,
          value: new Uint8Array([1, 2, 3]),
          headers: { "content-type": PROTOBUF_CONTENT_TYPE, ce_type: EVENTS.orderPlaced.type },
        });
      }
      await log.publish(topic, [good(4)]);
      await waitFor(() => handled.length >= 5, { timeoutMs: waitMs, message: "the good events" });
      expect(handled).toEqual([0, 1, 2, 3, 4]);

      const expected = [
        { id: badPayload.id, reason: "malformed_payload" },
        { id: unknownType.id, reason: "unknown_type" },
        { id: nextVersion.id, reason: "unknown_type" },
        { id: refused.id, reason: "business_rule" },
      ];
      const count = expected.length + (harness.writeRaw === undefined ? 0 : 1);
      let dead: DeadLetteredEvent[] = [];
      await waitFor(
        async () => {
          dead = await harness.readDeadLetters(topic);
          return dead.length >= count;
        },
        { timeoutMs: waitMs, message: `${count} dead letters` },
      );
      expect(dead).toHaveLength(count);
      for (const { id, reason } of expected) {
        const letter = dead.find((d) => d.event.id === id);
        expect(letter, `dead letter ${id}`).toBeDefined();
        expect(letter!.deadLetter).toMatchObject({
          reason,
          group,
          topic,
          partition: partitionForSubject(subject, PARTITIONS),
        });
        expect(letter!.deadLetter.offset).toMatch(/^\d+$/);
        expect(letter!.deadLetter.error).not.toBe("");
        expect(letter!.event.subject).toBe(subject);
      }
      expect(Buffer.from(dead.find((d) => d.event.id === badPayload.id)!.event.data)).toEqual(
        Buffer.from(badPayload.data),
      );
      if (harness.writeRaw !== undefined) {
        const raw = dead.find((d) => d.event.id === "");
        expect(raw?.deadLetter.reason).toBe("missing_attribute");
      }

      // Still consuming.
      await log.publish(topic, [good(5)]);
      await waitFor(() => handled.length >= 6, { timeoutMs: waitMs, message: "an event after the poison" });
      expect(handled).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });
}
