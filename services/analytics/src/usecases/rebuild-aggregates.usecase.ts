import { failedPrecondition, type Clock } from "@souk/platform";
import { rebuildGroupName, type ConsumerState } from "../domain/consumer-state.ts";
import type { AnalyticsStore, ConsumerControl } from "../domain/ports.ts";

/**
 * Rebuilds every aggregate from the event log: stops consuming, then in one transaction wipes the
 * facts, the aggregates and analytics' inbox and moves to a new consumer group
 * (`<base>-rebuild-<epoch ms>`, never reused; persisted, so a restart keeps it), then consumes every topic from
 * the beginning with it. Resolves once the new group is subscribed; the aggregates refill as the
 * replay runs. Since aggregates are a pure function of the events, the result equals what
 * incremental consumption produced.
 * @throws SoukError failed_precondition ANALYTICS_REBUILD_DISABLED when `enabled` is false (the event
 *   log does not keep the whole history: a replay would lose what it no longer holds).
 * @throws Error when the database or the event log fails (the persisted group is then used by the next start).
 */
export function rebuildAggregates(deps: {
  store: AnalyticsStore;
  consumer: ConsumerControl;
  clock: Clock;
  baseGroup: string;
  enabled: boolean;
}) {
  return async (): Promise<ConsumerState> => {
    if (!deps.enabled) {
      throw failedPrecondition(
        "ANALYTICS_REBUILD_DISABLED",
        "rebuilding is disabled: the event log does not keep every event (ANALYTICS_REBUILD_ENABLED=false)",
      );
    }
    let next: ConsumerState | undefined;
    await deps.consumer.restartWith(async () => {
      const startedAt = deps.clock();
      const current = await deps.store.consumerState();
      const baseGroup = current?.baseGroup ?? deps.baseGroup;
      next = {
        baseGroup,
        consumerGroup: rebuildGroupName(baseGroup, startedAt, current?.consumerGroup ?? ""),
        startedAt,
      };
      await deps.store.resetForRebuild(next);
      return next.consumerGroup;
    });
    if (next === undefined) throw new Error("rebuild did not run");
    return next;
  };
}
