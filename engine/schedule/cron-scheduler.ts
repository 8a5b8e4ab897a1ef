/**
 * The cron scheduler: one timer per scheduled pipeline file, aimed at its next slot. Each
 * slot is decided once (run, queued, skipped, missed) and recorded before anything
 * starts; runs follow the schedule's `overlap`. Runs of different pipelines are
 * independent; the project lock serialises their store writes.
 */
import { join } from 'node:path';
import type { ScheduledFile } from './scheduled-file.ts';
import type { Schedule } from './definition.ts';
import { sameSchedule } from './definition.ts';
import { missedSlots, formatUtc, formatInZone } from './slots.ts';
import { readState, stateFile, stateWriter, scheduleDir, type Decision, type RunState, type ScheduleState } from './state.ts';
import { startRun, adoptRun, isTradepipeRun, pruneLogs, type RunHandle, type Finished } from './runner.ts';
import type { ScheduleMetrics } from './metrics.ts';
import { formatDuration } from '../format.ts';
import { projectRelative } from '../project.ts';

export interface CronSchedulerOptions {
  root: string;
  /** How to start `tradepipe`, e.g. `[node, /path/to/bin/tradepipe]`. */
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  /** One event per line. */
  log(line: string): void;
  metrics?: ScheduleMetrics;
  /** Logs kept per schedule. */
  keepLogs?: number;
}

export interface CronScheduler {
  /**
   * Starts scheduling a file, or applies its new schedule; without `schedule:` it stops scheduling it.
   * `catchUp`: whether slots missed before now count (at startup); a schedule added while running starts afresh.
   */
  set(file: ScheduledFile, catchUp: boolean): Promise<void>;
  remove(file: string): void;
  /** Absolute pipeline files being scheduled. */
  files(): string[];
  running(): number;
  /** Stops firing, lets runs finish for `graceMs`, then cancels them. */
  stop(graceMs: number): Promise<void>;
  /** Cancels every run without waiting (a second signal). */
  abort(): void;
}

interface Run {
  slot: Date;
  handle?: RunHandle;
  cancelRequested: boolean;
  done: Promise<void>;
}

interface Entry {
  file: ScheduledFile;
  schedule: Schedule;
  rel: string;
  state: ScheduleState;
  write: (state: ScheduleState) => Promise<void>;
  timer?: NodeJS.Timeout;
  run?: Run;
  pending?: Date;
  active: boolean;
}

/** A Node timer fires at most this far ahead; longer waits re-aim. */
const MAX_TIMER_MS = 60 * 60 * 1000;

export function createCronScheduler(opts: CronSchedulerOptions): CronScheduler {
  const entries = new Map<string, Entry>();
  const keepLogs = opts.keepLogs ?? 50;
  let stopping = false;
  const log = (entry: Entry, message: string) => opts.log(`${new Date().toISOString()} ${entry.file.name} ${message}`);
  const slotText = (slot: Date) => `slot ${formatUtc(slot)}`;

  /** Writes the entry's state; a failed write is logged, and says no (a slot that cannot be recorded must not run). */
  const persist = async (entry: Entry): Promise<boolean> => {
    try {
      await entry.write(entry.state);
      return true;
    } catch (error) {
      log(entry, `error: cannot write schedule state: ${(error as Error).message}`);
      return false;
    }
  };

  const record = async (entry: Entry, slot: Date, decision: Decision): Promise<void> => {
    entry.state = { ...entry.state, ...dealtWith(entry.state, slot, decision) };
    opts.metrics?.decided(entry.file.name, decision);
    await persist(entry);
  };

  const lastSlot = (entry: Entry): Date | undefined => (entry.state.slot ? new Date(entry.state.slot) : undefined);

  const arm = (entry: Entry) => {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!entry.active || stopping) return;
    const now = new Date();
    const done = lastSlot(entry);
    const after = done && done > now ? done : now;
    const next = entry.schedule.cron.nextRun(after);
    opts.metrics?.nextFire(entry.file.name, next);
    if (!next) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (Date.now() < next.getTime()) return arm(entry);
      onSlot(entry, next);
    }, Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - Date.now())));
  };

  const onSlot = (entry: Entry, slot: Date) => {
    const following = entry.schedule.cron.nextRun(slot);
    // Woken after the following slot was due too (a suspended machine): that is downtime.
    if (following && Date.now() >= following.getTime()) catchUp(entry, 'while suspended');
    else void fire(entry, slot, 'run');
    arm(entry);
  };

  /** Slots that came due while nothing was firing them: the most recent one runs once with `catch_up: latest`. */
  const catchUp = (entry: Entry, when: string) => {
    const boundary = new Date(Math.max(lastSlot(entry)?.getTime() ?? 0, new Date(entry.state.since).getTime()));
    const missed = missedSlots(entry.schedule.cron, boundary, new Date());
    if (!missed) return;
    const counted = missed.count >= 1000 ? 'at least 1000' : String(missed.count);
    const noun = missed.count === 1 ? 'slot' : 'slots';
    if (entry.schedule.catchUp === 'latest') {
      log(entry, `${counted} ${noun} missed ${when}, the latest ${formatUtc(missed.latest)}: catching up once (catch_up: latest)`);
      void fire(entry, missed.latest, 'catch-up');
    } else {
      log(entry, `${counted} ${noun} missed ${when}, the latest ${formatUtc(missed.latest)}: not run (catch_up: none)`);
      void record(entry, missed.latest, 'missed');
    }
  };

  const fire = async (entry: Entry, slot: Date, decision: 'run' | 'catch-up'): Promise<void> => {
    const current = entry.run;
    if (!current) return start(entry, slot, decision);
    const busy = `the run of ${slotText(current.slot)} is still running`;
    switch (entry.schedule.overlap) {
      case 'skip':
        log(entry, `${slotText(slot)}: skipped, ${busy} (overlap: skip)`);
        return record(entry, slot, 'skipped');
      case 'queue':
        if (entry.pending) {
          log(entry, `${slotText(slot)}: skipped, ${busy} and ${slotText(entry.pending)} is queued (overlap: queue)`);
          return record(entry, slot, 'skipped');
        }
        entry.pending = slot;
        log(entry, `${slotText(slot)}: queued, ${busy} (overlap: queue)`);
        return record(entry, slot, 'queued');
      case 'cancel':
        if (entry.pending) log(entry, `${slotText(entry.pending)}: skipped, replaced by ${slotText(slot)} (overlap: cancel)`);
        entry.pending = slot;
        log(entry, `${slotText(slot)}: cancelling the run of ${slotText(current.slot)} (overlap: cancel)`);
        cancel(current);
        return record(entry, slot, 'queued');
    }
  };

  const cancel = (run: Run) => {
    run.cancelRequested = true;
    run.handle?.cancel();
  };

  const start = async (entry: Entry, slot: Date, decision: Decision): Promise<void> => {
    let finished!: () => void;
    const run: Run = { slot, cancelRequested: false, done: new Promise((resolve) => (finished = resolve)) };
    entry.run = run;
    const logDir = join(scheduleDir(entry.file.root), 'logs', encodeURIComponent(entry.rel));
    const logPath = join(logDir, `${formatUtc(slot).replace(/:/g, '-')}.log`);
    const startedAt = new Date();
    // Recorded before the process starts: after a crash this slot never fires again.
    entry.state = {
      ...entry.state,
      ...dealtWith(entry.state, slot, decision),
      lastRun: { slot: slot.toISOString(), startedAt: startedAt.toISOString(), outcome: 'running', log: projectRelative(entry.file.root, logPath) },
    };
    if (decision !== 'queued') opts.metrics?.decided(entry.file.name, decision);
    if (!(await persist(entry))) {
      log(entry, `${slotText(slot)}: not run, since it could not be recorded`);
      entry.run = undefined;
      finished();
      return;
    }
    let handle: RunHandle;
    try {
      handle = startRun({ command: opts.command, root: entry.file.root, file: entry.rel, set: entry.schedule.set, slot, logPath, env: opts.env });
    } catch (error) {
      // The log file could not be opened: the run never started.
      await finish(entry, run, { outcome: 'failed', exitCode: null, signal: null, ms: 0, lastLine: (error as Error).message }, logPath);
      finished();
      return;
    }
    run.handle = handle;
    if (run.cancelRequested) handle.cancel();
    opts.metrics?.running(entry.file.name, 1);
    entry.state = { ...entry.state, lastRun: { ...entry.state.lastRun!, pid: handle.pid } };
    // The pid is on disk before the fire is logged: a restarted scheduler can then adopt the run.
    await persist(entry);
    const how = decision === 'queued' ? ', queued' : decision === 'catch-up' ? ', catch-up' : '';
    log(entry, `${slotText(slot)}: run (pid ${handle.pid ?? '?'}${how})`);
    const result = await handle.done;
    await finish(entry, run, result, logPath);
    finished();
  };

  const finish = async (entry: Entry, run: Run, result: Finished, logPath: string) => {
    const at = new Date();
    const lastRun = entry.state.lastRun?.slot === run.slot.toISOString() ? entry.state.lastRun : undefined;
    entry.state = {
      ...entry.state,
      ...(lastRun ? { lastRun: { ...lastRun, outcome: result.outcome, exitCode: result.exitCode ?? undefined, finishedAt: at.toISOString() } } : {}),
      ...(result.outcome === 'succeeded' ? { lastSuccessAt: at.toISOString() } : {}),
    };
    await persist(entry);
    opts.metrics?.finished(entry.file.name, result.outcome, at);
    opts.metrics?.running(entry.file.name, 0);
    const exit = result.signal ? `signal ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
    const why = result.lastLine ? `: ${result.lastLine}` : '';
    log(entry, `${slotText(run.slot)}: ${result.outcome} in ${formatDuration(result.ms)} (${exit})${why}; log ${projectRelative(entry.file.root, logPath)}`);
    pruneLogs(join(logPath, '..'), keepLogs);
    entry.run = undefined;
    if (!entry.active && !stopping && entries.get(entry.file.file) === entry) entries.delete(entry.file.file);
    const next = entry.pending;
    entry.pending = undefined;
    if (next && !stopping && entry.active) void start(entry, next, 'queued');
  };

  const open = async (file: ScheduledFile, schedule: Schedule, afresh: boolean): Promise<Entry> => {
    const rel = projectRelative(file.root, file.file);
    const path = stateFile(file.root, rel);
    const write = stateWriter(path);
    const previous = readState(path);
    const state: ScheduleState = previous && !afresh ? previous : { ...previous, since: new Date().toISOString() };
    const entry: Entry = { file, schedule, rel, state, write, active: true };
    const lastRun = state.lastRun?.outcome === 'running' ? state.lastRun : undefined;
    const orphan = lastRun?.pid !== undefined && isTradepipeRun(lastRun.pid) ? lastRun.pid : undefined;
    if (lastRun && orphan === undefined) {
      log(entry, `${slotText(new Date(lastRun.slot))}: outcome unknown, the scheduler stopped during the run`);
      entry.state = { ...state, lastRun: { ...lastRun, outcome: 'unknown' } };
    }
    if (previous !== state || entry.state !== state) await write(entry.state);
    opts.metrics?.scheduled(file.name, state.lastSuccessAt ? new Date(state.lastSuccessAt) : undefined);
    if (lastRun && orphan !== undefined) void adopt(entry, lastRun, orphan);
    return entry;
  };

  /** A run the previous scheduler process started is still going: overlap applies to it as to our own. */
  const adopt = async (entry: Entry, lastRun: RunState, pid: number) => {
    let finished!: () => void;
    const run: Run = { slot: new Date(lastRun.slot), handle: adoptRun(pid), cancelRequested: false, done: new Promise((resolve) => (finished = resolve)) };
    entry.run = run;
    opts.metrics?.running(entry.file.name, 1);
    log(entry, `${slotText(run.slot)}: the run started before the restart is still going (pid ${pid}); overlap applies to it`);
    await finish(entry, run, await run.handle!.done, join(entry.file.root, lastRun.log));
    finished();
  };

  /** `scheduled \`0 18 * * 1-5\` America/New_York, overlap skip, catch_up none; next Mon 2026-12-07 18:00:00 EST` */
  const announce = (entry: Entry, what: string) => {
    const { expression, timezone, overlap, catchUp } = entry.schedule;
    const next = entry.schedule.cron.nextRun();
    log(entry, `${what} \`${expression}\` ${timezone}, overlap ${overlap}, catch_up ${catchUp}; next ${next ? formatInZone(next, timezone) : 'never'}`);
  };

  const drop = (entry: Entry, why: string) => {
    entry.active = false;
    clearTimeout(entry.timer);
    if (entry.pending) log(entry, `${slotText(entry.pending)}: dropped, ${why}`);
    entry.pending = undefined;
  };

  return {
    async set(file, catchUpMissed) {
      const existing = entries.get(file.file);
      if (!file.schedule) {
        if (existing) this.remove(file.file);
        return;
      }
      if (existing && !existing.active) {
        // Removed while its run went on, and back: the same entry, so one writer keeps its state file.
        Object.assign(existing, { file, schedule: file.schedule, active: true });
        arm(existing);
        announce(existing, 'scheduled');
        return;
      }
      if (existing) {
        existing.file = file;
        if (sameSchedule(existing.schedule, file.schedule)) return;
        existing.schedule = file.schedule;
        arm(existing);
        announce(existing, 'schedule changed:');
        return;
      }
      const entry = await open(file, file.schedule, !catchUpMissed);
      entries.set(file.file, entry);
      if (catchUpMissed) catchUp(entry, 'while the scheduler was down');
      arm(entry);
      announce(entry, 'scheduled');
    },
    remove(file) {
      const entry = entries.get(file);
      if (!entry?.active) return;
      drop(entry, 'the schedule was removed');
      // A running run keeps its entry until it finishes, to record its outcome.
      if (!entry.run) entries.delete(file);
      opts.metrics?.unscheduled(entry.file.name);
      log(entry, entry.run ? `unscheduled; the run of ${slotText(entry.run.slot)} continues` : 'unscheduled');
    },
    files: () => [...entries.values()].filter((e) => e.active).map((e) => e.file.file),
    running: () => [...entries.values()].filter((e) => e.run).length,
    async stop(graceMs) {
      stopping = true;
      for (const entry of entries.values()) drop(entry, 'the scheduler is stopping');
      const runs = [...entries.values()].flatMap((e) => (e.run ? [e.run] : []));
      if (runs.length === 0) return;
      const all = Promise.all(runs.map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
      if ((await Promise.race([all, graceOver])) === 'grace') {
        opts.log(`${new Date().toISOString()} grace period over: cancelling ${runs.length} run(s)`);
        for (const run of runs) cancel(run);
        await all;
      }
      clearTimeout(timer);
    },
    abort() {
      stopping = true;
      for (const entry of entries.values()) {
        drop(entry, 'the scheduler is exiting');
        if (entry.run) cancel(entry.run);
      }
    },
  };
}

/** The watermark only moves forward: a queued slot starting late never lowers it below a later skipped one. */
function dealtWith(state: ScheduleState, slot: Date, decision: Decision): Pick<ScheduleState, 'slot' | 'decision'> {
  return state.slot && new Date(state.slot) > slot ? {} : { slot: slot.toISOString(), decision };
}
