import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "@souk/platform";
import { testLogger } from "@souk/platform/testing";
import { EVENTS, newEvent } from "./catalog.ts";
import type { QueueSpec } from "./job-queue.ts";
import { createRabbitMqJobQueue, rabbitMqTopology } from "./rabbitmq-job-queue.ts";
import { deleteQueues, findTestRabbitMq, startTcpProxy, type TcpProxy } from "./rabbitmq.job-queue.harness.ts";
import { waitFor } from "@souk/platform/testing";
import { pause } from "./testing.ts";

const rabbit = await findTestRabbitMq();
if (!rabbit.available) console.warn(`[rabbitmq job queue reconnection tests] skipped: ${rabbit.reason}`);

// The connection to the broker goes through a TCP proxy the test cuts, as a broker restart or a
// network partition would (the shared broker itself is never restarted by a test).
describe.skipIf(!rabbit.available)(
  `rabbitmq job queue: reconnection${rabbit.available ? "" : ` (skipped: ${rabbit.reason})`}`,
  () => {
    const run = newId().replaceAll("-", "").slice(-10);
    const specs: QueueSpec[] = [];
    let proxy: TcpProxy;
    let proxiedUrl: string;

    const queueSpec = (suffix: string): QueueSpec => {
      const spec = { name: `souk-test.${run}.${suffix}`, maxAttempts: 5, backoff: { baseMs: 300, maxMs: 300 } };
      specs.push(spec);
      return spec;
    };
    const open = () =>
      createRabbitMqJobQueue({
        url: proxiedUrl,
        logger: testLogger(),
        connectionName: "souk-job-queue-reconnect-test",
        reconnect: { baseMs: 50, maxMs: 500 },
      });

    beforeAll(async () => {
      const target = new URL(rabbit.url);
      proxy = await startTcpProxy(target.hostname, Number(target.port === "" ? 5672 : target.port));
      target.port = String(proxy.port);
      proxiedUrl = target.toString();
    });
    afterAll(async () => {
      await proxy.close();
      await deleteQueues(rabbit.url, specs.flatMap(rabbitMqTopology));
    });

    it("survives a lost connection under load: enqueue fails while down, and every confirmed job is handled", async () => {
      const spec = queueSpec("under-load");
      const jobQueue = open();
      try {
        await jobQueue.ensureQueues([spec]);
        const handled = new Map<string, number>();
        await jobQueue.consume({
          queue: spec.name,
          concurrency: 8,
          handle: async (job) => {
            // One job in ten fails its first attempt: it waits in a retry queue across the cut.
            if (job.subject.endsWith("0") && job.attempt === 1) throw new Error("transient");
            await pause(5);
            handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
          },
        });

        const confirmed: string[] = [];
        let refused = 0;
        for (let batch = 0; batch < 60; batch++) {
          const events = Array.from({ length: 5 }, (_, i) => {
            const orderId = `order-${batch * 5 + i}`;
            const time = new Date();
            return newEvent(
              EVENTS.orderConfirmed,
              { orderId },
              { source: "/souk/reconnect-test", subject: orderId, time },
            ).event;
          });
          // What an outbox relay does: retry until the broker confirms the batch.
          for (;;) {
            try {
              await jobQueue.enqueue(spec.name, events);
              confirmed.push(...events.map((event) => event.id));
              break;
            } catch {
              refused++;
              await pause(50);
            }
          }
          if (batch === 20) {
            proxy.cut();
            setTimeout(() => proxy.restore(), 1_000);
          }
          await pause(5);
        }

        await waitFor(() => confirmed.every((id) => handled.has(id)), {
          timeoutMs: 30_000,
          message: "every confirmed job handled",
        });
        expect(confirmed).toHaveLength(300);
        expect(refused).toBeGreaterThan(0);
        const duplicates = [...handled.values()].filter((count) => count > 1).length;
        console.info(`[reconnect test] ${refused} refused enqueues, ${duplicates} jobs handled twice (at least once)`);
      } finally {
        await jobQueue.close();
      }
    });

    it("closes promptly while the broker is unreachable", async () => {
      const spec = queueSpec("close-while-down");
      const jobQueue = open();
      await jobQueue.ensureQueues([spec]);
      await jobQueue.consume({ queue: spec.name, handle: async () => {} });
      proxy.cut();
      try {
        const started = Date.now();
        await expect(jobQueue.enqueue(spec.name, [])).resolves.toBeUndefined();
        await jobQueue.close();
        expect(Date.now() - started).toBeLessThan(6_000);
      } finally {
        proxy.restore();
      }
    });
  },
);
