import { describe, expect, it } from "vitest";
import {
  checkConcurrency,
  checkDelayMs,
  DEFAULT_JOB_BACKOFF,
  DEFAULT_MAX_ATTEMPTS,
  maxAttemptsReason,
  resolveQueueSpec,
  retryDelayMs,
  retryDelaysMs,
} from "./job-retry-policy.ts";
import { rabbitMqQueueNames, rabbitMqTopology, roundDelayMs } from "./rabbitmq-job-queue.ts";

describe("job retry policy", () => {
  it("defaults to 5 attempts, 1 s → 60 s", () => {
    expect(resolveQueueSpec({ name: "q" })).toEqual({
      name: "q",
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      backoff: DEFAULT_JOB_BACKOFF,
    });
    expect(DEFAULT_MAX_ATTEMPTS).toBe(5);
    expect(DEFAULT_JOB_BACKOFF).toEqual({ baseMs: 1_000, maxMs: 60_000 });
  });

  it("doubles the delay per attempt up to maxMs", () => {
    const backoff = { baseMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(backoff, attempt))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });

  it("lists each distinct retry delay once, for the attempts that are retried", () => {
    expect(
      retryDelaysMs(resolveQueueSpec({ name: "q", maxAttempts: 6, backoff: { baseMs: 100, maxMs: 400 } })),
    ).toEqual([100, 200, 400]);
    expect(retryDelaysMs(resolveQueueSpec({ name: "q", maxAttempts: 1 }))).toEqual([]);
  });

  it("refuses nonsense", () => {
    expect(() => resolveQueueSpec({ name: "" })).toThrow(RangeError);
    expect(() => resolveQueueSpec({ name: "q", maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveQueueSpec({ name: "q", maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => resolveQueueSpec({ name: "q", backoff: { baseMs: 0, maxMs: 10 } })).toThrow(/backoff/);
    expect(() => resolveQueueSpec({ name: "q", backoff: { baseMs: 20, maxMs: 10 } })).toThrow(/backoff/);
    expect(() => checkDelayMs(-1)).toThrow(RangeError);
    expect(() => checkDelayMs(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(checkDelayMs(undefined)).toBe(0);
    expect(() => checkConcurrency(0)).toThrow(RangeError);
    expect(checkConcurrency(undefined)).toBe(8);
  });

  it("words the exhaustion reason after the last error", () => {
    expect(maxAttemptsReason(new Error("SMTP 451"))).toBe("max_attempts: SMTP 451");
    expect(maxAttemptsReason("plain")).toBe("max_attempts: plain");
  });
});

describe("RabbitMQ topology names", () => {
  it("rounds a delay up to two significant digits, never down", () => {
    expect([1, 99, 100, 150, 1_234, 37_412, 60_000, 3_600_001].map(roundDelayMs)).toEqual([
      1, 99, 100, 150, 1_300, 38_000, 60_000, 3_700_000,
    ]);
    for (let ms = 1; ms < 200_000; ms += 997) {
      expect(roundDelayMs(ms)).toBeGreaterThanOrEqual(ms);
      expect(roundDelayMs(ms)).toBeLessThanOrEqual(Math.ceil(ms * 1.1));
    }
  });

  it("names the work, retry, delay and dead-letter queues after the job queue", () => {
    expect(
      rabbitMqTopology({ name: "notifications.email", maxAttempts: 4, backoff: { baseMs: 500, maxMs: 1_000 } }),
    ).toEqual([
      "notifications.email",
      "notifications.email.retry.500",
      "notifications.email.retry.1000",
      "notifications.email.dlq",
    ]);
    expect(rabbitMqQueueNames.delay("notifications.email", 37_412)).toBe("notifications.email.delay.38000");
  });
});
