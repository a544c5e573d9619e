// `npm run shop`: a bounded crowd of scripted customers driving a running store through its public REST API.
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { JourneyError, walkCustomerJourney } from "./customer.journey.ts";
import { createTransport, type Transport } from "./http.transport.ts";
import type { ShopOptions } from "./shop.args.ts";
import { createShopRecorder, MAX_LISTED } from "./shop.recorder.ts";
import { createStoreClient } from "./store.client.ts";
import type { ShopSummary } from "./summary.ts";

export { parseShopArgs, SHOP_USAGE, type ShopOptions } from "./shop.args.ts";
export { formatSummary, type ShopSummary } from "./summary.ts";

/** Where progress lines go (one line per call, no trailing newline). */
export interface ShopOutput {
  log(line: string): void;
}

/** What a run takes from outside; every field has a real default, tests replace some. */
export interface ShopDeps {
  /** How requests reach the store; a given transport is not closed by the run. */
  readonly transport: Transport;
  /** Unique per run (lower-case letters and digits); part of every customer's email. */
  readonly runId: string;
  /** Monotonic milliseconds. */
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly newIdempotencyKey: () => string;
  /** Wall-clock now; only the year is used (card expiry dates). */
  readonly now: () => Date;
}

/**
 * Runs `options.customers` customer journeys, at most `options.concurrency` at a time, against
 * `options.baseUrl` only, and returns what happened. Each request times out after 30 s; a journey
 * that fails is counted (with its step and error) and the others carry on. Resolves once every
 * journey has ended; rejects only on a bug in the shop itself. `options.help` is the caller's
 * business (print `SHOP_USAGE` instead of calling this).
 */
export async function runShop(
  options: ShopOptions,
  out: ShopOutput,
  deps: Partial<ShopDeps> = {},
): Promise<ShopSummary> {
  const runId = deps.runId ?? `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const nowMs = deps.nowMs ?? (() => performance.now());
  const pause = deps.sleep ?? ((ms: number) => sleep(ms));
  const transport = deps.transport ?? createTransport(options.baseUrl, options.insecure, options.concurrency);
  const recorder = createShopRecorder();
  const client = createStoreClient({ baseUrl: options.baseUrl, transport, recorder, nowMs, sleep: pause });
  const cardExpiryYear = (deps.now ?? (() => new Date()))().getUTCFullYear() + 3;
  const newIdempotencyKey = deps.newIdempotencyKey ?? (() => randomUUID());

  out.log(
    `shop: run ${runId}: ${options.customers} customers, ${options.concurrency} at a time, against ${options.baseUrl}`,
  );
  const startedMs = nowMs();
  const reportEvery = Math.max(1, Math.ceil(options.customers / 10));
  let next = 0;
  let done = 0;
  let failed = 0;

  // A worker takes the next customer number until all are taken: the pool never exceeds
  // `concurrency` journeys in flight and never runs more than `customers` of them.
  async function worker(): Promise<void> {
    while (next < options.customers) {
      const customer = next;
      next += 1;
      try {
        await walkCustomerJourney({
          client,
          recorder,
          runId,
          seed: options.seed,
          customer,
          nowMs,
          sleep: pause,
          newIdempotencyKey,
          cardExpiryYear,
        });
        recorder.customerCompleted();
      } catch (error) {
        failed += 1;
        const step = error instanceof JourneyError ? error.step : "journey";
        const message = error instanceof Error ? error.message : String(error);
        recorder.customerFailed({ customer, step, message });
        if (failed <= MAX_LISTED) out.log(`shop: customer #${customer} failed at ${step}: ${message}`);
        if (failed === MAX_LISTED + 1) out.log("shop: more customers failed; counting them without listing");
      }
      done += 1;
      if (done % reportEvery === 0 || done === options.customers) {
        out.log(`shop: ${done}/${options.customers} customers done (${failed} failed)`);
      }
    }
  }

  // allSettled, not all: a bug escaping one worker must not close the transport under the others.
  const workers = await Promise.allSettled(
    Array.from({ length: Math.min(options.concurrency, options.customers) }, () => worker()),
  );
  if (deps.transport === undefined) transport.close();
  const crashed = workers.find((w) => w.status === "rejected");
  if (crashed !== undefined) throw crashed.reason;
  return recorder.summarize({
    runId,
    baseUrl: options.baseUrl,
    seed: options.seed,
    concurrency: options.concurrency,
    customers: options.customers,
    wallTimeMs: nowMs() - startedMs,
  });
}
