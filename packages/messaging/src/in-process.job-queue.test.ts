import { testLogger } from "@souk/platform/testing";
import type { EventEnvelope } from "./envelope.ts";
import { createInProcessJobQueue } from "./in-process-job-queue.ts";
import { describeJobQueueContract } from "./job-queue.contract.ts";

describeJobQueueContract({
  name: "in-process",
  durable: false,
  async open() {
    return createInProcessJobQueue({ logger: testLogger() });
  },
  async injectMalformed(jobQueue, queue) {
    // What a plain-JavaScript caller (or a cast) can hand over: an object with none of the attributes.
    await jobQueue.enqueue(queue, [{ data: new Uint8Array([1, 2, 3]) } as unknown as EventEnvelope]);
  },
  dyingWorker: undefined,
  async cleanup() {
    // Nothing outlives the adapters, which each test closes.
  },
});
