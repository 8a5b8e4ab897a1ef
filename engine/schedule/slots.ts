/**
 * Fire times as pure functions of a cron and instants. A slot is the instant a cron
 * expression names; the daemon fires each slot at most once and remembers the last one
 * it dealt with, so everything here takes that boundary explicitly.
 */
import type { Cron } from 'croner';

export interface Missed {
  /** Slots in (boundary, now]: none of them fired. */
  count: number;
  /** The most recent of them. */
  latest: Date;
}

/**
 * The slots that came due while nothing fired them: after `boundary` (the last slot dealt
 * with, or when the schedule was first seen) up to and including `now`. Counting stops at
 * `limit`, since a long downtime of a per-second cron would otherwise enumerate millions.
 */
export function missedSlots(cron: Cron, boundary: Date, now: Date, limit = 1000): Missed | undefined {
  const [latest] = cron.previousRuns(1, new Date(now.getTime() + 1));
  if (!latest || latest.getTime() <= boundary.getTime()) return undefined;
  let count = 0;
  for (let at = cron.nextRun(boundary); at && at.getTime() <= now.getTime() && count < limit; at = cron.nextRun(at)) count += 1;
  return { count, latest };
}

/** `2026-03-08 03:00:00 EDT` in the schedule's zone. */
export function formatInZone(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
      timeZoneName: 'short',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** `2026-03-08T07:00:00Z`: whole seconds, as slots are. */
export function formatUtc(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
