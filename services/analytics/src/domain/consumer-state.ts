/**
 * The consumer generation analytics reads with: the consumer group of its event-log
 * subscription, the group configured (`ANALYTICS_CONSUMER_GROUP`, the base of rebuild names), and
 * when the generation started. Events older than `startedAt` were published before this generation
 * began consuming: a replay (backfill), whose end-to-end lag is not measured.
 */
export interface ConsumerState {
  readonly baseGroup: string;
  readonly consumerGroup: string;
  readonly startedAt: Date;
}

/**
 * The consumer group of a rebuild started at `now`: `<base>-rebuild-<epoch ms>` — a group no member
 * ever committed offsets for, so the event log delivers every topic from its beginning. The number
 * is at least one more than the current group's (when that is a rebuild group too), so rebuild
 * groups never repeat even when the clock stands still or steps back.
 */
export function rebuildGroupName(baseGroup: string, now: Date, currentGroup: string): string {
  const prefix = `${baseGroup}-rebuild-`;
  const previous = currentGroup.startsWith(prefix) ? Number(currentGroup.slice(prefix.length)) : Number.NaN;
  const stamp = Number.isSafeInteger(previous) ? Math.max(now.getTime(), previous + 1) : now.getTime();
  return `${prefix}${stamp}`;
}

/** True when an event of `eventTime` happened while `state`'s generation was consuming (not a replay). */
export function isLiveEvent(state: ConsumerState, eventTime: Date): boolean {
  return eventTime.getTime() >= state.startedAt.getTime();
}
