import { afterAll, describe, expect, it } from "vitest";
import { newId } from "@souk/platform";
import { testLogger } from "@souk/platform/testing";
import { EVENTS, newEvent } from "./catalog.ts";
import { createRabbitMqJobQueue, rabbitMqTopology } from "./rabbitmq-job-queue.ts";
import { deleteQueues, findTestRabbitMq, startTcpProxy } from "./rabbitmq.job-queue.harness.ts";
import { resilientJobQueue } from "./resilient.ts";
import { waitFor } from "@souk/platform/testing";
import { pause } from "./testing.ts";

const rabbit = await findTestRabbitMq();
if (!rabbit.available) console.warn(`[resilient job queue tests] skipped: ${rabbit.reason}`);

describe.skipIf(!rabbit.available)(
  `resilient job queue: a worker started while RabbitMQ is unreachable${rabbit.available ? "" : ` (skipped: ${rabbit.reason})`}`,
  () => {
    const spec = { name: `souk-test.${newId().replaceAll("-", "").slice(-10)}.resilient`, maxAttempts: 3 };
    afterAll(() => deleteQueues(rabbit.url, rabbitMqTopology(spec)));

    it("starts without the broker, declares and consumes once it answers, and takes jobs then", async () => {
      const target = new URL(rabbit.url);
      const proxy = await startTcpProxy(target.hostname, Number(target.port));
      target.port = String(proxy.port);
      proxy.cut();
      const queue = resilientJobQueue(
        createRabbitMqJobQueue({ url: target.toString(), logger: testLogger(), reconnect: { baseMs: 50, maxMs: 300 } }),
        testLogger(),
      );
      const handled: string[] = [];
      const started = performance.now();
      // Neither call waits for the broker.
      await queue.ensureQueues([spec]);
      const worker = await queue.consume({ queue: spec.name, handle: async (job) => void handled.push(job.id) });
      expect(performance.now() - started).toBeLessThan(1_000);
      const job = newEvent(
        EVENTS.userRegistered,
        { userId: "u1", email: "a@example.test" },
        {
          source: "/souk/test",
          subject: "u1",
          time: new Date(),
        },
      ).event;
      await expect(queue.enqueue(spec.name, [job])).rejects.toThrow();
      await pause(500);
      proxy.restore();
      await waitFor(
        async () => {
          try {
            await queue.enqueue(spec.name, [job]);
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 30_000, intervalMs: 200, message: "enqueue works once the broker answers" },
      );
      await waitFor(() => handled.includes(job.id), {
        timeoutMs: 30_000,
        message: "the background worker took the job",
      });
      await worker.close();
      await queue.close();
      await proxy.close();
    }, 60_000);
  },
);
