import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { tracingChannel } from "node:diagnostics_channel";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { Admin, Consumer, Producer, stringDeserializers, type MessagesStream } from "@platformatic/kafka";
import { OrderPlacedSchema } from "@souk/contracts/events/orders";
import { newId } from "@souk/platform";
import { closedPort, testLogger } from "@souk/platform/testing";
import { EVENTS, newEvent } from "./catalog.ts";
import { decodeDeadLetterRecord } from "./cloudevents-kafka.ts";
import { describeEventLogContract, orderPlaced, seqOf, type RawRecord } from "./event-log.contract.ts";
import { deadLetterTopic, partitionForSubject, type DeadLetteredEvent } from "./event-log-common.ts";
import { createKafkaEventLog } from "./kafka-event-log.ts";
import { waitFor } from "@souk/platform/testing";
import { findTestKafka } from "./testing.ts";

const kafka = await findTestKafka();
if (!kafka.available) console.warn(`[kafka event log tests] skipped: ${kafka.reason}`);
const brokers = kafka.brokers;
const run = newId().replaceAll("-", "").slice(-12);

/**
 * Requests of one kind (`commits`: OffsetCommit, `fetches`: Fetch) sent by the consumers of
 * `group`, counted from the library's diagnostics channel `plt:kafka:consumer:<kind>`.
 */
function countConsumerRequests(kind: "commits" | "fetches", group: string) {
  const counted = { requests: 0 };
  const start = (context: unknown) => {
    if ((context as { client?: { groupId?: string } }).client?.groupId === group) counted.requests++;
  };
  const channel = tracingChannel(`plt:kafka:consumer:${kind}`);
  const handlers = { start, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channel.subscribe(handlers);
  return { counted, stop: () => channel.unsubscribe(handlers) };
}

/** A consumer of `<topic>.dlq` that is not Souk's adapter: the library's raw client, from the beginning. */
async function deadLetterReader(topic: string) {
  const consumer = new Consumer({
    clientId: "contract-dlq-reader",
    groupId: `contract.${run}.dlq-reader.${newId()}`,
    bootstrapBrokers: brokers,
    autocommit: false,
    maxWaitTime: 200,
  });
  const letters: DeadLetteredEvent[] = [];
  const stream = await consumer.consume({ topics: [deadLetterTopic(topic)], mode: "earliest" });
  stream.on("data", (message) => letters.push(decodeDeadLetterRecord(message)));
  stream.on("error", () => undefined);
  return {
    letters,
    async close() {
      await stream.close();
      await consumer.close(true);
    },
  };
}

describe.skipIf(!kafka.available)(`kafka event log${kafka.available ? "" : ` (skipped: ${kafka.reason})`}`, () => {
  describeEventLogContract("kafka", {
    quietMs: 1_500,
    deliveryTimeoutMs: 30_000,
    async open() {
      const log = createKafkaEventLog({
        brokers,
        clientId: "contract-test",
        logger: testLogger(),
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
      });
      const readers = new Map<string, Awaited<ReturnType<typeof deadLetterReader>>>();
      let rawProducer: Producer | undefined;
      let admin: Admin | undefined;
      return {
        log,
        async readDeadLetters(topic) {
          let reader = readers.get(topic);
          if (reader === undefined) {
            reader = await deadLetterReader(topic);
            readers.set(topic, reader);
          }
          return [...reader.letters];
        },
        async writeRaw(topic: string, record: RawRecord) {
          rawProducer ??= new Producer({ clientId: "contract-raw-producer", bootstrapBrokers: brokers });
          await rawProducer.send({
            messages: [
              {
                topic,
                key: Buffer.from(record.key),
                value: Buffer.from(record.value),
                headers: new Map(Object.entries(record.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
                // Where any Java-compatible client puts this key (the library's default hashes otherwise).
                partition: partitionForSubject(record.key, 6),
              },
            ],
          });
        },
        async waitForGroup(group: string, members: number) {
          admin ??= new Admin({ clientId: "contract-admin", bootstrapBrokers: brokers });
          const groupAdmin = admin;
          await waitFor(
            async () => {
              const described = (await groupAdmin.describeGroups({ groups: [group] })).get(group);
              return described?.state === "Stable" && described.members.size === members;
            },
            { timeoutMs: 30_000, intervalMs: 100, message: `group ${group} stable with ${members} members` },
          );
        },
        async close() {
          await Promise.all([...readers.values()].map((r) => r.close()));
          await rawProducer?.close();
          await admin?.close();
          await log.close();
        },
      };
    },
  });

  describe("kafka static membership (KIP-345)", () => {
    const logger = testLogger();
    const sessionTimeoutMs = 45_000;
    const topic = `contract.${run}.static`;
    const group = `contract.${run}.static.${newId()}`;
    const log = createKafkaEventLog({
      brokers,
      clientId: "static-test",
      logger,
      sessionTimeoutMs,
      heartbeatIntervalMs: 500,
      instanceId: "static-test-1",
    });
    let admin: Admin | undefined;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      admin = new Admin({ clientId: "static-test-admin", bootstrapBrokers: brokers });
    });

    afterAll(async () => {
      child?.kill("SIGKILL");
      await admin?.close();
      await log.close();
    });

    const membersOf = async (name: string) => {
      const described = (await admin!.describeGroups({ groups: [name] })).get(name);
      return described?.state === "Stable" ? [...described.members.values()] : [];
    };

    it("a member restarted after SIGKILL takes its partitions back at once, not after the dead one's session timeout", async () => {
      // The first incarnation: its own process, killed without leaving the group.
      child = spawn(
        process.execPath,
        [fileURLToPath(new URL("./fixtures/kafka-static-member.fixture.ts", import.meta.url))],
        {
          env: {
            ...process.env,
            KAFKA_BROKERS: brokers.join(","),
            KAFKA_TOPIC: topic,
            KAFKA_GROUP: group,
            KAFKA_INSTANCE_ID: "static-test-1",
            KAFKA_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
          },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let childOutput = "";
      child.stdout!.on("data", (chunk: Buffer) => (childOutput += chunk.toString("utf8")));
      const first = newEvent(
        EVENTS.userRegistered,
        { userId: "u1" },
        { source: "/t", subject: "u1", time: new Date() },
      );
      await waitFor(() => childOutput.includes("ready"), { timeoutMs: 30_000, message: "the fixture member ready" });
      await log.publish(topic, [first.event]);
      await waitFor(() => childOutput.includes(`handled ${first.event.id}`), {
        timeoutMs: 30_000,
        message: "the fixture member handled the first event",
      });
      expect((await membersOf(group)).map((m) => m.groupInstanceId)).toEqual(["static-test-1"]);
      // Its offset is committed within commitIntervalMs of the handling: kill it after that.
      await waitFor(
        async () => {
          const [offsets] = await admin!.listConsumerGroupOffsets({ groups: [group] });
          return (offsets?.topics ?? []).some((t) => t.partitions.some((p) => p.committedOffset > 0n));
        },
        { timeoutMs: 30_000, message: "the fixture member's commit of the first event" },
      );
      child.kill("SIGKILL");
      await once(child, "exit");

      // The restart: same instance id, in this process. A dynamic member would wait for the dead
      // one's session (45 s) to expire before the group could rebalance and hand it partitions.
      const killedAt = performance.now();
      const handled: string[] = [];
      const subscription = await log.subscribe({
        topics: [topic],
        group,
        handle: async (event) => void handled.push(event.id),
      });
      const second = newEvent(
        EVENTS.userRegistered,
        { userId: "u2" },
        { source: "/t", subject: "u2", time: new Date() },
      );
      await log.publish(topic, [second.event]);
      await waitFor(() => handled.includes(second.event.id), {
        timeoutMs: sessionTimeoutMs / 2,
        message: "the restarted member handled an event before the dead member's session could expire",
      });
      const tookMs = performance.now() - killedAt;
      expect(tookMs).toBeLessThan(sessionTimeoutMs / 2);
      expect(handled).not.toContain(first.event.id);
      expect((await membersOf(group)).map((m) => m.groupInstanceId)).toEqual(["static-test-1"]);
      await subscription.close();
    }, 90_000);

    it("gives a second subscription of the same group in one process its own instance id", async () => {
      const shared = `contract.${run}.static-pair.${newId()}`;
      const a = await log.subscribe({ topics: [topic], group: shared, handle: async () => undefined });
      const b = await log.subscribe({ topics: [topic], group: shared, handle: async () => undefined });
      await waitFor(async () => (await membersOf(shared)).length === 2, {
        timeoutMs: 30_000,
        message: `group ${shared} stable with 2 members`,
      });
      expect((await membersOf(shared)).map((m) => m.groupInstanceId).sort()).toEqual([
        "static-test-1",
        "static-test-1#2",
      ]);
      await Promise.all([a.close(), b.close()]);
      // Closing leaves the group (LeaveGroup), so the ids are free again.
      const c = await log.subscribe({ topics: [topic], group: shared, handle: async () => undefined });
      await waitFor(async () => (await membersOf(shared)).length === 1, { timeoutMs: 30_000, message: "one member" });
      expect((await membersOf(shared)).map((m) => m.groupInstanceId)).toEqual(["static-test-1"]);
      await c.close();
    }, 90_000);
  });

  describe("kafka offset commits", () => {
    const countCommits = (group: string) => countConsumerRequests("commits", group);

    /** Publishes 20 events of one subject (one partition) 25 ms apart, each handled alone, then closes; returns the commits counted. */
    async function trickle(commitIntervalMs: number) {
      const topic = `contract.${run}.commits.${commitIntervalMs}`;
      const group = `contract.${run}.commits.${commitIntervalMs}.${newId()}`;
      const log = createKafkaEventLog({ brokers, clientId: "commit-test", logger: testLogger(), commitIntervalMs });
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      const commits = countCommits(group);
      try {
        const handled: number[] = [];
        const subscription = await log.subscribe({
          topics: [topic],
          group,
          handle: async (event) => void handled.push(seqOf(event)),
        });
        const started = performance.now();
        for (let seq = 0; seq < 20; seq++) {
          await log.publish(topic, [orderPlaced(`order-${run}-trickle`, seq)]);
          await waitFor(() => handled.length > seq, { timeoutMs: 30_000, message: `event ${seq} handled` });
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await subscription.close();
        const elapsedMs = performance.now() - started;
        const requests = commits.counted.requests;
        // Everything handled was committed on close: the group's next member starts after it.
        const again: number[] = [];
        const next = await log.subscribe({ topics: [topic], group, handle: async (e) => void again.push(seqOf(e)) });
        await log.publish(topic, [orderPlaced(`order-${run}-trickle`, 20)]);
        await waitFor(() => again.length > 0, { timeoutMs: 30_000, message: "the next member's first event" });
        await new Promise((resolve) => setTimeout(resolve, 500));
        await next.close();
        return { handled, again, requests, elapsedMs };
      } finally {
        commits.stop();
        await log.close();
      }
    }

    it("commits a trickle of records once per interval, not once per record, and all of them on close", async () => {
      const coalesced = await trickle(1_000);
      expect(coalesced.handled).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(coalesced.again).toEqual([20]);
      // One flush per second while the records trickled in (~0.6 s on a quiet machine), one on close.
      expect(coalesced.requests).toBeGreaterThan(0);
      expect(coalesced.requests).toBeLessThanOrEqual(Math.ceil(coalesced.elapsedMs / 1_000) + 1);

      const eager = await trickle(0);
      expect(eager.again).toEqual([20]);
      // Each record committed as soon as it was handled; only a commit slower than the 25 ms between
      // records would meet the next one in flight and merge with it.
      expect(eager.requests).toBeGreaterThanOrEqual(10);
      expect(eager.requests).toBeGreaterThan(coalesced.requests * 2);
    }, 120_000);
  });

  describe("kafka batched fetches (maxBatchDelayMs)", () => {
    /**
     * Publishes 20 events of one subject 25 ms apart without waiting for them, waits until all are
     * handled and closes; returns what was handled, in order, and the Fetch requests counted.
     */
    async function trickle(maxBatchDelayMs: number) {
      const topic = `contract.${run}.fetches.${maxBatchDelayMs}`;
      const group = `contract.${run}.fetches.${maxBatchDelayMs}.${newId()}`;
      const log = createKafkaEventLog({ brokers, clientId: "fetch-test", logger: testLogger() });
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      try {
        const handled: number[] = [];
        const subscription = await log.subscribe({
          topics: [topic],
          group,
          maxBatchDelayMs,
          handle: async (event) => void handled.push(seqOf(event)),
        });
        // Counted from the first publish: joining the group fetches too.
        const fetches = countConsumerRequests("fetches", group);
        const started = performance.now();
        for (let seq = 0; seq < 20; seq++) {
          await log.publish(topic, [orderPlaced(`order-${run}-fetches`, seq)]);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await waitFor(() => handled.length === 20, { timeoutMs: 30_000, message: "all 20 events handled" });
        const elapsedMs = performance.now() - started;
        fetches.stop();
        await subscription.close();
        return { handled, requests: fetches.counted.requests, elapsedMs };
      } finally {
        await log.close();
      }
    }

    it("fetches a trickle of records once per window, not once per record, and hands them all over in order", async () => {
      const batched = await trickle(250);
      expect(batched.handled).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // A fetch returns when its 250 ms are up (20 small records are far from 64 KiB): one per
      // window while they trickled in (~0.5 s on a quiet machine), plus the one in flight.
      expect(batched.requests).toBeGreaterThan(0);
      expect(batched.requests).toBeLessThanOrEqual(Math.ceil(batched.elapsedMs / 250) + 2);

      const eager = await trickle(0);
      expect(eager.handled).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // Each fetch returns as soon as a record is there: about one per record.
      expect(eager.requests).toBeGreaterThanOrEqual(10);
      expect(eager.requests).toBeGreaterThan(batched.requests * 2);
    }, 120_000);
  });

  describe("kafka wire format", () => {
    const logger = testLogger();
    const log = createKafkaEventLog({ brokers, clientId: "wire-test", logger });
    const topic = `contract.${run}.wire`;
    let consumer: Consumer<string, Buffer, string, string> | undefined;
    let stream: MessagesStream<string, Buffer, string, string> | undefined;

    beforeAll(async () => {
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
    });

    afterAll(async () => {
      await stream?.close();
      await consumer?.close(true);
      await log.close();
    });

    it("is readable by a plain Kafka client: CloudEvents headers and a Protobuf payload from @souk/contracts", async () => {
      const { event } = newEvent(
        EVENTS.orderPlaced,
        { orderId: "order-wire", userId: "user-wire", total: { amountMinor: 1_999n, currency: "EUR" } },
        { source: "/souk/orders", subject: "order-wire", time: new Date("2025-03-01T10:20:30.456Z") },
      );
      await log.publish(topic, [{ ...event, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }]);

      // No Souk code below: the library's consumer with string headers, the generated schema.
      consumer = new Consumer({
        clientId: "plain-client",
        groupId: `contract.${run}.plain.${newId()}`,
        bootstrapBrokers: brokers,
        deserializers: {
          key: stringDeserializers.key,
          headerKey: stringDeserializers.headerKey,
          headerValue: stringDeserializers.headerValue,
        },
      });
      stream = await consumer.consume({ topics: [topic], mode: "earliest" });
      const iterator = stream[Symbol.asyncIterator]();
      const next = await iterator.next();
      if (next.done === true) throw new Error("the stream ended before the first record");
      const message = next.value;
      expect(message.key).toBe("order-wire");
      expect(message.partition).toBe(partitionForSubject("order-wire", 3));
      expect(Object.fromEntries(message.headers)).toEqual({
        ce_specversion: "1.0",
        ce_id: event.id,
        ce_source: "/souk/orders",
        ce_type: "souk.order.placed.v1",
        ce_subject: "order-wire",
        ce_time: "2025-03-01T10:20:30.456Z",
        ce_dataschema: "proto:souk.events.v1.OrderPlaced",
        "content-type": "application/protobuf",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      });
      const payload = fromBinary(OrderPlacedSchema, message.value);
      expect(payload.orderId).toBe("order-wire");
      expect(payload.userId).toBe("user-wire");
      expect(payload.total).toMatchObject({ amountMinor: 1_999n, currency: "EUR" });
    });

    it("throws from publish and subscribe when no broker answers (the outbox retries)", async () => {
      const port = await closedPort();
      const down = createKafkaEventLog({
        brokers: [`127.0.0.1:${port}`],
        clientId: "down-test",
        logger,
        publishRetries: 1,
      });
      const started = Date.now();
      await expect(
        down.publish(topic, [
          newEvent(EVENTS.userRegistered, { userId: "u" }, { source: "/t", subject: "u", time: new Date() }).event,
        ]),
      ).rejects.toThrow();
      await expect(down.subscribe({ topics: [topic], group: "down", handle: async () => undefined })).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(20_000);
      await down.close();
    });
  });
});
