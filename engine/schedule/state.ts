/**
 * What the scheduler remembers per schedule, in `.tradepipe/schedule/<file>.json`,
 * written atomically. `slot` is written before a run starts, so after any crash
 * (kill -9 included) no slot at or before it ever fires again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import { projectPaths } from '../project.ts';

/** How a fire was decided. */
export type Decision = 'run' | 'catch-up' | 'queued' | 'skipped' | 'missed';
/** `unknown`: the run outlived the scheduler that started it, so its exit status was never seen. */
export type Outcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'unknown';

export interface RunState {
  slot: string;
  pid?: number;
  startedAt: string;
  outcome: Outcome;
  exitCode?: number;
  finishedAt?: string;
  /** Project-relative log of the run's output. */
  log: string;
}

export interface ScheduleState {
  /** When the schedule was first seen: slots before it were never missed. */
  since: string;
  /** The last slot dealt with (run, queued, skipped or missed). */
  slot?: string;
  decision?: Decision;
  lastRun?: RunState;
  lastSuccessAt?: string;
}

export function scheduleDir(root: string): string {
  return join(projectPaths(root).store, 'schedule');
}

/** One file per pipeline file: its project-relative path, made a file name. */
export function stateFile(root: string, relFile: string): string {
  return join(scheduleDir(root), `${encodeURIComponent(relFile)}.json`);
}

export function readState(path: string): ScheduleState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ScheduleState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read schedule state ${path}: ${(error as Error).message}`);
  }
}

/** Serialises one file's writes, so a slower earlier write never lands after a later one. */
export function stateWriter(path: string): (state: ScheduleState) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (state) => {
    const text = JSON.stringify(state, null, 2) + '\n';
    last = last.catch(() => undefined).then(() => writeFileAtomic(path, text));
    return last;
  };
}
