import { createInProcessEventLog } from "@souk/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { closeRedis, fromConnectError, openRedis, type Redis, type SqlDatabase } from "@souk/platform";
import { closedPort, openTestDatabase, openTestRedis, testLogger, type TestRedis } from "@souk/platform/testing";
import type { VelocityCounter } from "./domain/fraud.ts";
import { createPaymentsService, PAYMENTS_SCHEMA } from "./index.ts";
import { createPostgresVelocityCounter } from "./store/fraud.store.ts";
import type { PaymentsDatabase } from "./store/payments.tables.ts";
import { createRedisVelocityCounter } from "./store/velocity.redis-store.ts";

const WINDOW_MS = 60_000;
const config = {
  PAYMENTS_FINGERPRINT_KEY: "integration-test-fingerprint-key",
  PAYMENTS_FRAUD_MAX_AMOUNT_MINOR: 500_000,
  PAYMENTS_FRAUD_VELOCITY_MAX: 3,
  PAYMENTS_FRAUD_VELOCITY_WINDOW_MS: WINDOW_MS,
  PAYMENTS_SIMULATOR_LATENCY_MS: 0,
};

describe("fraud velocity counters", () => {
  let database: SqlDatabase;
  let db: Kysely<PaymentsDatabase>;
  let redis: Redis;
  let testRedis: TestRedis | undefined;
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = () => now;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${(seq += 1)}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    await createPaymentsService({ database, config, logger: testLogger(), clock, eventLog: createInProcessEventLog() }); // migrates
    db = database.forSchema<PaymentsDatabase>(PAYMENTS_SCHEMA);
    testRedis = await openTestRedis("velocity");
    redis = testRedis.redis;
  });
  afterAll(async () => {
    if (redis !== undefined) {
      await testRedis?.deleteKeys();
      await closeRedis(redis);
    }
    await database?.close();
  });

  describe.each(["postgres", "redis"] as const)("on %s: the same answers", (kind) => {
    const counter = (): VelocityCounter =>
      kind === "redis" ? createRedisVelocityCounter(redis) : createPostgresVelocityCounter(db);
    const t0 = new Date("2026-03-01T00:00:00Z").getTime();
    const at = (offsetMs: number) => new Date(t0 + offsetMs);

    it("counts a user's attempts in (at − window, at], each attempt once, users apart", async () => {
      const velocity = counter();
      const [user, other] = [unique("user"), unique("user")];
      const attempts = ["a1", "a2", "a3", "a4"];
      const counts = [];
      for (const [i, id] of attempts.entries())
        counts.push(await velocity.recordAttempt(user, id, at(i * 10_000), WINDOW_MS));
      expect(counts).toEqual([1, 2, 3, 4]);
      // Recording an attempt again (a retry of the same authorization) does not count it twice.
      expect(await velocity.recordAttempt(user, "a4", at(30_000), WINDOW_MS)).toBe(4);
      expect(await velocity.recordAttempt(other, "b1", at(30_000), WINDOW_MS)).toBe(1);
      // At exactly t0 + 60 s the first attempt (t0) has left the window: (t0, t0 + 60 s].
      expect(await velocity.recordAttempt(user, "a5", at(60_000), WINDOW_MS)).toBe(4);
      // A whole window after the last attempt, the user starts again from 1.
      expect(await velocity.recordAttempt(user, "a6", at(120_000), WINDOW_MS)).toBe(1);
      // Attempts recorded with a later time than `at` are not in its window.
      expect(await velocity.recordAttempt(other, "b0", at(20_000), WINDOW_MS)).toBe(1);
    });

    if (kind === "redis") {
      it("keeps one sorted set per user, scored by clock milliseconds, expiring with the window", async () => {
        const velocity = counter();
        const user = unique("user");
        await velocity.recordAttempt(user, "x1", at(0), WINDOW_MS);
        await velocity.recordAttempt(user, "x2", at(5_000), WINDOW_MS);
        const key = `payments:velocity:{${user}}`;
        expect(await redis.zrange(key, "0", "-1", "WITHSCORES")).toEqual(["x1", String(t0), "x2", String(t0 + 5_000)]);
        expect(await redis.pttl(key)).toBeGreaterThan(WINDOW_MS - 5_000);
        expect(await redis.pttl(key)).toBeLessThanOrEqual(WINDOW_MS);
        await velocity.recordAttempt(user, "x3", at(65_000), WINDOW_MS);
        expect(await redis.zrange(key, "0", "-1")).toEqual(["x3"]);
      });
    }
  });

  describe("in the payments service on Redis", () => {
    type Service = Awaited<ReturnType<typeof createPaymentsService>>;
    let payments: Service;
    const addCard = (service: Service, userId: string) =>
      service.useCases.createPaymentMethod(userId, {
        number: "4242424242424242",
        expMonth: 12,
        expYear: 2030,
        cvc: "123",
      });
    const authorize = (service: Service, userId: string, paymentMethodId: string, orderId = unique("order")) =>
      service.useCases.authorizePayment({
        orderId,
        userId,
        paymentMethodId,
        amount: { amountMinor: 1_999, currency: "USD" },
      });

    beforeAll(async () => {
      payments = await createPaymentsService({
        database,
        config,
        logger: testLogger(),
        clock,
        redis,
        eventLog: createInProcessEventLog(),
      });
    });

    it("trips the velocity rule after N attempts within the window and resets after it", async () => {
      const userId = unique("card-tester");
      const method = await addCard(payments, userId);
      for (let i = 0; i < 3; i += 1) {
        expect((await authorize(payments, userId, method.id)).status).toBe("AUTHORIZED");
        now = new Date(now.getTime() + 10_000);
      }
      const fourth = await authorize(payments, userId, method.id);
      expect(fourth).toMatchObject({ status: "FAILED", failureCode: "fraud_velocity" });
      const decisions = await db
        .selectFrom("fraud_decisions")
        .select(["rule", "outcome", "details"])
        .where("payment_id", "=", fourth.id)
        .orderBy("id")
        .execute();
      expect(decisions[1]).toEqual({
        rule: "velocity",
        outcome: "block",
        details: { attemptsInWindow: 4, velocityMax: 3, windowMs: WINDOW_MS },
      });
      // The first attempt leaves the window 60 s after it was made; the other three stay in it.
      now = new Date(now.getTime() + 30_001);
      expect((await authorize(payments, userId, method.id)).status).toBe("FAILED");
      now = new Date(now.getTime() + 60_000);
      expect((await authorize(payments, userId, method.id)).status).toBe("AUTHORIZED");
      // The counts came from Redis: PostgreSQL's table holds nothing for this user.
      expect(await db.selectFrom("velocity_attempts").selectAll().where("user_id", "=", userId).execute()).toEqual([]);
      expect(await redis.zcard(`payments:velocity:{${userId}}`)).toBe(1);
    });

    it("fails an authorization retryably while Redis is down, releasing it for the retry", async () => {
      const down = openRedis(`redis://127.0.0.1:${await closedPort()}`, testLogger(), { connectTimeoutMs: 200 });
      try {
        const degraded = await createPaymentsService({
          database,
          config,
          logger: testLogger(),
          clock,
          redis: down,
          eventLog: createInProcessEventLog(),
        });
        const userId = unique("buyer");
        const method = await addCard(degraded, userId);
        const orderId = unique("order");
        const error = await authorize(degraded, userId, method.id, orderId).then(
          () => expect.unreachable("expected the authorization to fail"),
          (e: unknown) => fromConnectError(e),
        );
        expect(error).toMatchObject({ kind: "unavailable", code: "PAYMENTS_VELOCITY_UNAVAILABLE" });
        const pending = await degraded.useCases.getPayment(orderId);
        expect(pending.status).toBe("PENDING");
        expect(pending.leaseUntil.getTime()).toBeLessThanOrEqual(now.getTime());
        // Redis is back (another process reaches it): the retry takes the payment over at once.
        expect((await authorize(payments, userId, method.id, orderId)).status).toBe("AUTHORIZED");
      } finally {
        await closeRedis(down);
      }
    });
  });
});
