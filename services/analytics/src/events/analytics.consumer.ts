import {
  OFF_PATH_BATCH_DELAY_MS,
  TOPIC_SPECS,
  TOPICS,
  type EventLog,
  type ReceivedEvent,
  type Subscription,
} from "@souk/messaging";
import type { Lifecycle, Logger, Supervisor } from "@souk/platform";
import type { Histogram } from "prom-client";
import type { ConsumerControl } from "../domain/ports.ts";
import type { IncomingEvent, RecordOutcome } from "../usecases/record-event.usecase.ts";
import { toAnalyticsEvent } from "./analytics.events.ts";

/** The topics analytics aggregates. */
export const ANALYTICS_TOPICS: readonly string[] = [TOPICS.orders, TOPICS.payments];

/** What the analytics consumer needs. */
export interface AnalyticsConsumerDeps {
  readonly eventLog: EventLog;
  /** The record-event use case (inbox + aggregates in one transaction). */
  readonly record: (event: IncomingEvent) => Promise<RecordOutcome>;
  /** The consumer group to subscribe with at start (the persisted generation's). */
  readonly currentGroup: () => Promise<string>;
  /** `souk_analytics_event_lag_seconds{type}`: observed for every live event applied. */
  readonly lag: Histogram<"type">;
  readonly logger: Logger;
  /** Runs the group switches a stale event triggers (they cannot run inside the handler). */
  readonly supervisor: Supervisor;
}

/**
 * analytics' subscription to the orders and payments topics: one member of the current consumer
 * group, from the beginning of the topics for a group without offsets. Each event is decoded
 * (a PoisonMessageError makes the event log dead-letter it) and recorded; an event reaching an
 * abandoned group (another replica rebuilt) switches this member to the current group. Start,
 * stop and restarts run one at a time.
 */
export function createAnalyticsConsumer(deps: AnalyticsConsumerDeps): Lifecycle & ConsumerControl {
  let running = false;
  let current: { readonly group: string; readonly subscription: Subscription } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it (start/stop/restart never interleave). */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }

  function handler(group: string) {
    return async (event: ReceivedEvent): Promise<void> => {
      const body = toAnalyticsEvent(event);
      if (body === undefined) return;
      const outcome = await deps.record({ id: event.id, type: event.type, time: event.time, group, body });
      if (outcome.status === "applied" && outcome.lagSeconds !== undefined) {
        deps.lag.observe({ type: event.type }, outcome.lagSeconds);
      } else if (outcome.status === "stale") {
        void deps.supervisor.run("analytics-switch-group", switchTo(outcome.consumerGroup));
      }
    };
  }

  async function subscribe(group: string): Promise<void> {
    const subscription = await deps.eventLog.subscribe({
      topics: ANALYTICS_TOPICS,
      group,
      from: "beginning",
      maxBatchDelayMs: OFF_PATH_BATCH_DELAY_MS,
      handle: handler(group),
    });
    current = { group, subscription };
    deps.logger.info({ group, topics: ANALYTICS_TOPICS }, "analytics consuming");
  }

  async function unsubscribe(): Promise<void> {
    const closing = current;
    current = undefined;
    await closing?.subscription.close();
  }

  function switchTo(group: string): Promise<void> {
    return serial(async () => {
      if (!running || current?.group === group) return;
      deps.logger.info({ from: current?.group, to: group }, "consumer group changed (rebuild); switching");
      await unsubscribe();
      await subscribe(group);
    });
  }

  return {
    start: () =>
      serial(async () => {
        if (running) return;
        // Idempotent; the launcher normally created them already (with their `.dlq` twins).
        await deps.eventLog.ensureTopics(TOPIC_SPECS.filter((spec) => ANALYTICS_TOPICS.includes(spec.name)));
        running = true;
        await subscribe(await deps.currentGroup());
      }),

    stop: () =>
      serial(async () => {
        running = false;
        await unsubscribe();
      }),

    restartWith: (between) =>
      serial(async () => {
        await unsubscribe();
        let group: string | undefined;
        try {
          group = await between();
        } finally {
          // On failure, go on with whatever generation is persisted (unchanged when the reset rolled back).
          if (running) await subscribe(group ?? (await deps.currentGroup()));
        }
      }),
  };
}
