// The messages between the main thread and the generator thread (structured-clone plain data).
import type { LoopProgress, ProbeStats, StepStats } from "./load-generator.ts";
import type { Scenario, ShopperData } from "./shopper.operations.ts";

/** What a generator targets, given when its thread starts. */
export interface GeneratorInit {
  /** e.g. `http://127.0.0.1:41234` or `https://127.0.0.1:8443`. */
  readonly origin: string;
  /** A CA certificate (PEM) to trust for an https origin. */
  readonly caPem?: string;
  /** Keep-alive connections in the pool. */
  readonly connections: number;
  /** Seed of the operations' random choices. */
  readonly seed: number;
  /** The public API's scenarios need this. */
  readonly shopper?: ShopperData;
  /** The static-file scenario (NGINX limit) needs this. */
  readonly staticPath?: string;
}

/** A scenario of the public API, or `static` (the NGINX static file). */
export type GeneratorScenario = Scenario | "static";

/** A command to the generator thread; `id` matches its replies. */
export type GeneratorCommand =
  | {
      readonly type: "probe";
      readonly id: number;
      readonly scenario: GeneratorScenario;
      readonly concurrency: number;
      readonly durationMs: number;
    }
  | {
      readonly type: "step";
      readonly id: number;
      readonly scenario: GeneratorScenario;
      readonly rateRps: number;
      readonly durationMs: number;
      readonly drainMs: number;
      readonly maxPending: number;
    }
  | { readonly type: "tokens"; readonly id: number; readonly tokens: readonly (readonly [string, string])[] }
  | { readonly type: "quiesce"; readonly id: number; readonly timeoutMs: number }
  | {
      readonly type: "recover";
      readonly id: number;
      readonly scenario: GeneratorScenario;
      readonly fastMs: number;
      readonly timeoutMs: number;
    }
  | { readonly type: "close"; readonly id: number };

/** Checkout outcomes and background work during one step. */
export interface StepCounters {
  /** Order statuses answered by POST /v1/checkout. */
  readonly orders: Record<string, number>;
  /** Final statuses of orders first answered PENDING. */
  readonly settledLater: Record<string, number>;
  readonly refills: number;
  readonly refillFailures: number;
}

/** What a `step` command resolves to. */
export interface StepReply {
  readonly stats: StepStats;
  readonly counters: StepCounters;
}

/** What a `probe` command resolves to. */
export type ProbeReply = ProbeStats;

/** A reply from the generator thread. */
export type GeneratorReply =
  | { readonly type: "progress"; readonly id: number; readonly progress: LoopProgress }
  | { readonly type: "done"; readonly id: number; readonly value: unknown }
  | { readonly type: "failed"; readonly id: number; readonly message: string };
