/**
 * A pipeline's `schedule:` block, checked beyond its JSON Schema: the cron expression
 * and time zone must parse (croner, Intl), and `set` keys must name a step. Problems
 * are positioned diagnostics; a good block becomes a Schedule whose `cron` computes
 * fire times (croner handles time zones and DST like Vixie cron).
 */
import { Cron } from 'croner';
import type { Diagnostic } from '../errors.ts';
import type { Schedule as ScheduleBlock } from '../../schemas/pipeline.ts';
import { diagnosticAt, type Positions } from '../yaml-source.ts';
import { suggestion } from '../schema/validate.ts';

export type Overlap = 'skip' | 'queue' | 'cancel';
export type CatchUp = 'none' | 'latest';

export interface Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly overlap: Overlap;
  readonly catchUp: CatchUp;
  /** `--set` arguments for scheduled runs, `step.param=value`. */
  readonly set: readonly string[];
  /** Computes fire times only: never started, so it holds no timer. */
  readonly cron: Cron;
}

/**
 * Vixie cron treats a job as fixed-time unless its minute or hour field is wild; croner's
 * `no-wildcard` rule is the closest match (see README "Schedules", DST).
 */
export function compileCron(expression: string, timezone: string): Cron {
  return new Cron(expression, { mode: '5-or-6-parts', timezone, paused: true, fixedTimeRule: 'no-wildcard' });
}

/** Checks a schema-valid `schedule:` block; `stepIds` are the pipeline's steps after includes and matrices. */
export function scheduleDiagnostics(block: ScheduleBlock, stepIds: readonly string[], positions: Positions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const timezone = block.timezone ?? 'UTC';
  const zoneProblem = checkTimeZone(timezone);
  if (zoneProblem) out.push(diagnosticAt(positions.get(['schedule', 'timezone']), 'bad-time-zone', zoneProblem));
  try {
    const cron = compileCron(block.cron, zoneProblem ? 'UTC' : timezone);
    if (cron.nextRun() === null) out.push(diagnosticAt(positions.get(['schedule', 'cron']), 'cron-never-fires', `cron expression \`${block.cron}\` never fires`));
  } catch (error) {
    out.push(diagnosticAt(positions.get(['schedule', 'cron']), 'bad-cron', `invalid cron expression \`${block.cron}\`: ${cronMessage(error)}; expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first`));
  }
  const ids = [...stepIds].sort((a, b) => b.length - a.length);
  for (const key of Object.keys(block.set ?? {})) {
    if (ids.some((id) => key.startsWith(id + '.'))) continue;
    const guess = key.split('.')[0] ?? '';
    out.push(diagnosticAt(positions.get(['schedule', 'set', key]), 'unknown-schedule-step', `unknown step \`${guess}\` in \`schedule.set\`${suggestion(guess, stepIds)}; expected \`step.param: value\``, 'key'));
  }
  return out;
}

/** The Schedule of a block that passed `scheduleDiagnostics`. */
export function toSchedule(block: ScheduleBlock): Schedule {
  const timezone = block.timezone ?? 'UTC';
  return {
    expression: block.cron,
    timezone,
    overlap: block.overlap ?? 'skip',
    catchUp: block.catch_up ?? 'none',
    set: Object.entries(block.set ?? {}).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`),
    cron: compileCron(block.cron, timezone),
  };
}

export function sameSchedule(a: Schedule, b: Schedule): boolean {
  return a.expression === b.expression && a.timezone === b.timezone && a.overlap === b.overlap && a.catchUp === b.catchUp && a.set.join('\n') === b.set.join('\n');
}

function checkTimeZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone \`${zone}\`${suggestion(zone, Intl.supportedValuesOf('timeZone'))}; expected an IANA name such as America/New_York or UTC`;
  }
}

/** croner prefixes its messages with the class that threw them. */
function cronMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^Cron(Pattern|Date)?: /, '');
}
