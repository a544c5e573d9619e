import { connect } from "node:net";

/** Waits `ms` (to observe that nothing more happens). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Where the tests' Kafka is, or why there is none. */
export type TestKafka =
  | { readonly available: true; readonly brokers: string[] }
  | { readonly available: false; readonly brokers: string[]; readonly reason: string };

function answers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * The Kafka the integration tests run against: `KAFKA_BROKERS` (comma-separated `host:port`),
 * default the broker `npm run services` starts (127.0.0.1:59092), probed with a TCP connect.
 * When it does not answer, the result says why so a suite can skip visibly — unless `CI` is set
 * or `SOUK_REQUIRE_BROKERS=1`, where a missing broker must fail the run rather than skip it.
 *
 * @throws Error naming the brokers (and how to start them) when they are required but down.
 */
export async function findTestKafka(): Promise<TestKafka> {
  const brokers = (process.env["KAFKA_BROKERS"] ?? "127.0.0.1:59092")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  const reachable = await Promise.all(
    brokers.map((broker) => {
      const separator = broker.lastIndexOf(":");
      return answers(broker.slice(0, separator), Number(broker.slice(separator + 1)), 2_000);
    }),
  );
  if (reachable.some(Boolean)) return { available: true, brokers };
  const reason = `no Kafka broker answers at ${brokers.join(", ")}: run \`npm run services\` or set KAFKA_BROKERS`;
  const ci = process.env["CI"];
  const required =
    (ci !== undefined && ci !== "" && ci !== "false" && ci !== "0") || process.env["SOUK_REQUIRE_BROKERS"] === "1";
  if (required) {
    throw new Error(`${reason} (brokers are required: CI or SOUK_REQUIRE_BROKERS=1 is set)`);
  }
  return { available: false, brokers, reason };
}
