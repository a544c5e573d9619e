// `npm run services` for real: daemons (or Compose containers) on loopback, clients that talk to
// them. The first run on a fresh machine installs packages with apt-get: minutes, not seconds.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import amqp from "amqplib";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SERVICE_DATABASES } from "./backing.config.ts";
import { backingServiceUrls, nginxConfDir, reloadBackingNginx, runServicesCommand } from "./services.command.ts";

const FIRST_START_TIMEOUT_MS = 20 * 60_000;

/** Runs the command with `env`, returning its exit code and every line it printed. */
async function services(argv: string[], env: Record<string, string | undefined>) {
  const lines: string[] = [];
  const code = await runServicesCommand(argv, { log: (line) => lines.push(line) }, env);
  return { code, output: lines.join("\n") };
}

async function selectOne(url: string): Promise<{ ok: number; database: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const result = await client.query<{ ok: number; database: string }>(
      "select 1 as ok, current_database() as database",
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error("select 1 returned no row");
    return row;
  } finally {
    await client.end();
  }
}

/** A loopback port nothing listens on right now (the kernel's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** A topic of its own for one test (auto.create.topics.enable is false): 1 partition. */
async function createTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: "souk-services-test", bootstrapBrokers: [brokers] });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  } finally {
    await admin.close();
  }
}

async function deleteTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: "souk-services-test", bootstrapBrokers: [brokers] });
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.close();
  }
}

/** Produces one record acknowledged by all in-sync replicas; resolves to its offset. */
async function produce(brokers: string, topic: string, key: string, value: string): Promise<bigint | undefined> {
  const producer = new Producer({
    clientId: "souk-services-test",
    bootstrapBrokers: [brokers],
    serializers: stringSerializers,
    acks: -1,
    idempotent: true,
  });
  try {
    const result = await producer.send({ messages: [{ topic, key, value }] });
    return result.offsets?.[0]?.offset;
  } finally {
    await producer.close();
  }
}

/** The first record of `topic`, read by a new consumer group from the earliest offset. */
async function consumeFirst(brokers: string, topic: string): Promise<{ key: string; value: string; offset: bigint }> {
  const consumer = new Consumer({
    clientId: "souk-services-test",
    groupId: `souk-services-test-${process.pid}-${Date.now()}`,
    bootstrapBrokers: [brokers],
    deserializers: stringDeserializers,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false, maxWaitTime: 500 });
    try {
      for await (const message of stream) {
        await message.commit();
        return { key: message.key, value: message.value, offset: message.offset };
      }
      throw new Error(`the stream of ${topic} ended without a record`);
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
}

const QUORUM = { durable: true, arguments: { "x-queue-type": "quorum" } };

/** Declares quorum queue `queue` and publishes `body` to it (persistent), waiting for the broker's confirm. */
async function publishConfirmed(url: string, queue: string, body: string): Promise<void> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, QUORUM);
    channel.sendToQueue(queue, Buffer.from(body), { persistent: true, contentType: "text/plain" });
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Gets (and acks) one message of `queue`, or undefined when it is empty. */
async function getOne(url: string, queue: string): Promise<string | undefined> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  try {
    const channel = await connection.createChannel();
    const message = await channel.get(queue, { noAck: false });
    if (message === false) return undefined;
    channel.ack(message);
    await channel.close();
    return message.content.toString();
  } finally {
    await connection.close();
  }
}

/** Whether `queue` exists as a quorum queue: redeclaring it as classic is refused as inequivalent. */
async function isQuorumQueue(url: string, queue: string): Promise<boolean> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  connection.on("error", () => {}); // the refused declaration closes the channel, not the connection
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    const refused = await channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "classic" } }).then(
      () => "",
      (error: unknown) => String(error),
    );
    return refused.includes("PRECONDITION_FAILED") && refused.includes("x-queue-type");
  } finally {
    await connection.close();
  }
}

async function deleteQueue(url: string, queue: string): Promise<void> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await channel.close();
  } finally {
    await connection.close();
  }
}

// The shared instance (this process's SOUK_* environment, default ports): other suites use it,
// so it is started when needed and never stopped here.
describe("services start / status on the shared instance", () => {
  const env = process.env;
  const urls = backingServiceUrls(env);

  test(
    "start brings PostgreSQL, Redis, NGINX, Kafka and RabbitMQ up, and a second start finds them running",
    async () => {
      const first = await services(["start"], env);
      expect(first.code, first.output).toBe(0);

      const started = performance.now();
      const second = await services([], env);
      const secondMs = performance.now() - started;
      expect(second.code, second.output).toBe(0);
      if (!second.output.includes("Docker Compose")) {
        expect(second.output.match(/already running/g)?.length, second.output).toBe(5);
      }
      expect(secondMs, "an idempotent start is fast").toBeLessThan(10_000);
    },
    FIRST_START_TIMEOUT_MS,
  );

  test("status reports every service up with its URL", async () => {
    const { code, output } = await services(["status"], env);
    expect(code, output).toBe(0);
    expect(output).toMatch(/postgres\s+up\s+postgres:\/\/souk:souk@127\.0\.0\.1:\d+\/<service>/);
    expect(output).toContain(`redis     up    ${urls.redisUrl}`);
    expect(output).toContain(`nginx     up    ${urls.nginxUrl}`);
    expect(output).toContain(`kafka     up    ${urls.kafkaBrokers}`);
    expect(output).toContain(`rabbitmq  up    ${urls.rabbitmqUrl}`);
  });

  test("status of one service reports only that one", async () => {
    const { code, output } = await services(["status", "kafka"], env);
    expect(code, output).toBe(0);
    expect(output).toContain(`kafka     up    ${urls.kafkaBrokers}`);
    expect(output).not.toContain("postgres");
  });

  test("Kafka takes a record acknowledged by all replicas and a consumer group reads it back", async () => {
    const topic = `souk.services-test.${process.pid}.${Date.now()}`;
    await createTopic(urls.kafkaBrokers, topic);
    try {
      expect(await produce(urls.kafkaBrokers, topic, "order-1", "placed")).toBe(0n);
      expect(await consumeFirst(urls.kafkaBrokers, topic)).toEqual({ key: "order-1", value: "placed", offset: 0n });
    } finally {
      await deleteTopic(urls.kafkaBrokers, topic);
    }
  }, 60_000);

  test("Kafka does not create topics on first use (auto.create.topics.enable=false)", async () => {
    const topic = `souk.services-test.absent.${process.pid}.${Date.now()}`;
    const admin = new Admin({ clientId: "souk-services-test", bootstrapBrokers: [urls.kafkaBrokers], retries: 0 });
    try {
      await admin.metadata({ topics: [topic], autocreateTopics: true }).catch(() => undefined);
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.close();
    }
  }, 30_000);

  test("RabbitMQ confirms a persistent message on a quorum queue and hands it out once", async () => {
    const queue = `souk.services-test.${process.pid}.${Date.now()}`;
    try {
      await publishConfirmed(urls.rabbitmqUrl, queue, "hello");
      expect(await isQuorumQueue(urls.rabbitmqUrl, queue)).toBe(true);
      expect(await getOne(urls.rabbitmqUrl, queue)).toBe("hello");
      expect(await getOne(urls.rabbitmqUrl, queue)).toBeUndefined();
    } finally {
      await deleteQueue(urls.rabbitmqUrl, queue);
    }
  }, 30_000);

  test("RabbitMQ has no guest user", async () => {
    const guest = urls.rabbitmqUrl.replace("souk:souk@", "guest:guest@");
    await expect(amqp.connect(guest, { timeout: 5000 })).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  test.each([...SERVICE_DATABASES])("the %s database answers select 1", async (service) => {
    const url = urls.databaseUrl(service);
    expect(url).toMatch(new RegExp(`^postgres://souk:souk@127\\.0\\.0\\.1:\\d+/${service}$`));
    expect(await selectOne(url)).toEqual({ ok: 1, database: service });
  });

  test("Redis answers PING, SET and GET", async () => {
    const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe("PONG");
      const key = `souk:services-test:${process.pid}:${Date.now()}`;
      expect(await redis.set(key, "hello", "EX", 60)).toBe("OK");
      expect(await redis.get(key)).toBe("hello");
      await redis.del(key);
    } finally {
      await redis.quit();
    }
  });

  test("NGINX answers /healthz", async () => {
    const response = await fetch(`${urls.nginxUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
    const missing = await fetch(`${urls.nginxUrl}/nothing-here`, { signal: AbortSignal.timeout(5000) });
    expect(missing.status).toBe(404);
  });
});

// `stop` only ever runs on a private instance: its own state directory and ports.
describe("services stop on a private instance", () => {
  let dir: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "souk-services-test-"));
    env = {
      ...process.env,
      SOUK_SERVICES_DIR: dir,
      SOUK_PG_PORT: "55433",
      SOUK_REDIS_PORT: "56380",
      SOUK_NGINX_PORT: "58081",
      SOUK_KAFKA_PORT: "59094",
      SOUK_KAFKA_CONTROLLER_PORT: "59095",
      SOUK_RABBITMQ_PORT: "55674",
      SOUK_RABBITMQ_DIST_PORT: "55675",
      SOUK_RABBITMQ_EPMD_PORT: "54370",
    };
  });

  afterAll(async () => {
    // A failed assertion may have left it running; stopping a stopped instance is a no-op.
    await services(["stop"], env);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  test(
    "one service stops, starts and restarts alone, and a restarted broker keeps what it acknowledged",
    async () => {
      const started = await services(["start"], env);
      expect(started.code, started.output).toBe(0);
      const urls = backingServiceUrls(env);
      expect(urls.kafkaBrokers).toBe("127.0.0.1:59094");
      expect(urls.rabbitmqUrl).toBe("amqp://souk:souk@127.0.0.1:55674/souk");

      const topic = `souk.services-test.restart.${process.pid}`;
      await createTopic(urls.kafkaBrokers, topic);
      expect(await produce(urls.kafkaBrokers, topic, "k", "before restart")).toBe(0n);
      const queue = `souk.services-test.restart.${process.pid}`;
      await publishConfirmed(urls.rabbitmqUrl, queue, "before stop");

      const restarted = await services(["restart", "kafka"], env);
      expect(restarted.code, restarted.output).toBe(0);
      expect(restarted.output).toMatch(/kafka\s+started\s+127\.0\.0\.1:59094/);
      expect(restarted.output).not.toMatch(/postgres|rabbitmq/);
      expect(await consumeFirst(urls.kafkaBrokers, topic)).toEqual({ key: "k", value: "before restart", offset: 0n });

      const stopped = await services(["stop", "rabbitmq"], env);
      expect(stopped.code, stopped.output).toBe(0);
      const partial = await services(["status"], env);
      expect(partial.code, partial.output).toBe(3);
      expect(partial.output).toMatch(/rabbitmq\s+down\s+/);
      expect(partial.output.match(/\s+up\s+/g)?.length, partial.output).toBe(4);
      expect((await services(["status", "rabbitmq"], env)).code).toBe(3);
      await expect(amqp.connect(urls.rabbitmqUrl, { timeout: 2000 })).rejects.toThrow();

      const again = await services(["start", "rabbitmq"], env);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toMatch(/rabbitmq\s+started\s+/);
      expect(await getOne(urls.rabbitmqUrl, queue)).toBe("before stop");
      expect((await services(["status"], env)).code).toBe(0);
    },
    FIRST_START_TIMEOUT_MS,
  );

  test(
    "stop stops what start started, status then says down, and a second stop is harmless",
    async () => {
      const started = await services(["start"], env);
      expect(started.code, started.output).toBe(0);
      expect(started.output).toContain(`state in ${dir}`);
      const urls = backingServiceUrls(env);
      expect(urls.databaseUrl("orders")).toBe("postgres://souk:souk@127.0.0.1:55433/orders");
      expect(urls.redisUrl).toBe("redis://127.0.0.1:56380");
      expect(await selectOne(urls.databaseUrl("orders"))).toEqual({ ok: 1, database: "orders" });

      const up = await services(["status"], env);
      expect(up.code, up.output).toBe(0);

      // The launcher's way in: a server dropped into conf.d goes live on reload...
      const confDir = nginxConfDir(env);
      expect(confDir).toBe(join(dir, "nginx", "conf.d"));
      // A port the kernel just handed out: a fixed one may be some outgoing connection's source port.
      const extraPort = await freePort();
      const extra = `server { listen 127.0.0.1:${extraPort}; location / { return 200 'reloaded'; } }\n`;
      await writeFile(join(confDir, "50-test.conf"), extra);
      await reloadBackingNginx(env);
      const reloaded = await fetch(`http://127.0.0.1:${extraPort}/`, { signal: AbortSignal.timeout(5000) });
      expect(await reloaded.text()).toBe("reloaded");
      // ...a broken one is refused with NGINX's message, and the running config stays in place.
      await writeFile(join(confDir, "60-broken.conf"), "upstream broken { server ; }\n");
      await expect(reloadBackingNginx(env)).rejects.toThrow(/60-broken\.conf/);
      expect((await fetch(`${urls.nginxUrl}/healthz`)).status).toBe(200);

      // Stopping does not depend on the config being valid (60-broken.conf is still there).
      const stopped = await services(["stop"], env);
      expect(stopped.code, stopped.output).toBe(0);

      const down = await services(["status"], env);
      expect(down.code, down.output).toBe(3);
      expect(down.output.match(/\s+down\s+/g)?.length, down.output).toBe(5);
      await expect(selectOne(urls.databaseUrl("orders"))).rejects.toThrow();
      const nginx = await fetch(`${urls.nginxUrl}/healthz`).then(
        () => "answered",
        () => "refused",
      );
      expect(nginx).toBe("refused");

      const again = await services(["stop"], env);
      expect(again.code, again.output).toBe(0);
      expect(again.output.match(/not running/g)?.length ?? 0, again.output).toBeGreaterThanOrEqual(1);
    },
    FIRST_START_TIMEOUT_MS,
  );
});
