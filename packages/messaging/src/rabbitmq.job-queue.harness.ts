import { createServer, connect as connectTcp, type Socket } from "node:net";
import amqp from "amqplib";
import { testLogger } from "@souk/platform/testing";
import { CLOUDEVENTS_AMQP_PREFIX } from "./cloudevents-amqp.ts";
import type { DyingWorker, JobQueueHarness } from "./job-queue.contract.ts";
import { createRabbitMqJobQueue, rabbitMqQueueNames, rabbitMqTopology } from "./rabbitmq-job-queue.ts";

/** The AMQP URL `npm run services` serves (apps/souk/src/backing/backing.config.ts, `rabbitmqUrl`). */
export const DEFAULT_TEST_RABBITMQ_URL = "amqp://souk:souk@127.0.0.1:55672/souk";

/** Where the tests' RabbitMQ is, or why there is none. */
export type TestRabbitMq =
  | { readonly available: true; readonly url: string }
  | { readonly available: false; readonly url: string; readonly reason: string };

/**
 * The RabbitMQ the job-queue tests run against: `RABBITMQ_URL`, default `DEFAULT_TEST_RABBITMQ_URL`,
 * probed by opening a connection and a channel (2 s). When it does not answer, the result says
 * why so a suite can skip visibly — unless `CI` is set or `SOUK_REQUIRE_BROKERS=1`, where a
 * missing broker fails the run instead.
 *
 * @throws Error naming the broker (and how to start it) when it is required but down.
 */
export async function findTestRabbitMq(): Promise<TestRabbitMq> {
  const url = process.env["RABBITMQ_URL"] ?? DEFAULT_TEST_RABBITMQ_URL;
  const problem = await probe(url);
  if (problem === undefined) return { available: true, url };
  const where = url.replace(/\/\/[^@/]*@/, "//");
  const reason = `no RabbitMQ answers at ${where} (${problem}): run \`npm run services\` or set RABBITMQ_URL`;
  const ci = process.env["CI"];
  const required =
    (ci !== undefined && ci !== "" && ci !== "false" && ci !== "0") || process.env["SOUK_REQUIRE_BROKERS"] === "1";
  if (required) throw new Error(`${reason} (brokers are required: CI or SOUK_REQUIRE_BROKERS=1 is set)`);
  return { available: false, url, reason };
}

async function probe(url: string): Promise<string | undefined> {
  let connection: amqp.ChannelModel | undefined;
  try {
    connection = await amqp.connect(url, { timeout: 2_000 });
    connection.on("error", () => {});
    const channel = await connection.createChannel();
    await channel.close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Runs `work` on a fresh connection to `url` (for what the tests do beside the adapter). */
export async function withRawChannel<T>(url: string, work: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(url);
  connection.on("error", () => {});
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    return await work(channel);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Deletes `queues` (each on its own channel: a failure closes only that one). */
export async function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  const connection = await amqp.connect(url);
  connection.on("error", () => {});
  try {
    for (const queue of queues) {
      const channel = await connection.createChannel();
      channel.on("error", () => {});
      await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await connection.close().catch(() => {});
  }
}

/** The contract harness for `createRabbitMqJobQueue` on the broker at `url`. */
export function rabbitMqHarness(url: string): JobQueueHarness {
  return {
    name: "rabbitmq",
    durable: true,
    async open() {
      return createRabbitMqJobQueue({ url, logger: testLogger(), connectionName: "souk-job-queue-contract" });
    },
    async injectMalformed(_jobQueue, queue) {
      await withRawChannel(url, async (channel) => {
        channel.sendToQueue(queue, Buffer.from("not a cloud event"), { persistent: true });
        // A round trip on the same channel: the broker has the message once the reply arrives.
        await channel.checkQueue(queue);
      });
    },
    async dyingWorker(queue): Promise<DyingWorker> {
      const connection = await amqp.connect(url);
      connection.on("error", () => {});
      const channel = await connection.createChannel();
      channel.on("error", () => {});
      await channel.prefetch(1);
      let take: (id: string) => void = () => {};
      const taken = new Promise<string>((resolve) => {
        take = resolve;
      });
      // Never acks: what it takes stays unacknowledged until it dies.
      await channel.consume(
        queue,
        (message) => {
          const id: unknown = message?.properties.headers?.[`${CLOUDEVENTS_AMQP_PREFIX}id`];
          take(typeof id === "string" ? id : "");
        },
        { noAck: false },
      );
      return {
        taken,
        async die() {
          await connection.close();
        },
      };
    },
    async cleanup(specs, delaysMs) {
      const queues = specs.flatMap((spec) => [
        ...rabbitMqTopology(spec),
        ...delaysMs.map((ms) => rabbitMqQueueNames.delay(spec.name, ms)),
      ]);
      await deleteQueues(url, queues);
    },
  };
}

/** A TCP proxy in front of the broker that a test can cut, as a broker restart or a network loss would. */
export interface TcpProxy {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Drops every proxied connection and refuses (accepts, then resets) new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a `TcpProxy` to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  const server = createServer((client) => {
    track(client);
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connectTcp({ host, port });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    port: address.port,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
