import { describe } from "vitest";
import { describeJobQueueContract } from "./job-queue.contract.ts";
import { findTestRabbitMq, rabbitMqHarness } from "./rabbitmq.job-queue.harness.ts";

const rabbit = await findTestRabbitMq();
if (!rabbit.available) console.warn(`[rabbitmq job queue tests] skipped: ${rabbit.reason}`);

describe.skipIf(!rabbit.available)(
  `rabbitmq job queue${rabbit.available ? "" : ` (skipped: ${rabbit.reason})`}`,
  () => {
    describeJobQueueContract(rabbitMqHarness(rabbit.url));
  },
);
