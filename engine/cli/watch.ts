/**
 * `tradepipe watch`: run a pipeline, then rerun what each edit affects. One compact
 * line per cycle on stderr (what changed -> which steps ran, how many were cached,
 * durations), or with `--json` one JSON line per cycle on stdout: the `run --json`
 * result plus `trigger`, the paths that started it.
 */
import { availableParallelism } from 'node:os';
import { startWatch, type Cycle, type WatchReporter } from '../watch/start-watch.ts';
import { formatDuration } from '../format.ts';
import type { RunObserver, StepResult } from '../executor.ts';
import { load, checkStepNames, printInvalid, EXIT } from './common.ts';

export interface WatchFlags {
  jobs?: number;
  keepGoing?: boolean;
  json?: boolean;
  set: string[];
  verbose?: boolean;
  debounce: number;
}

/** Watches until SIGINT (exit 130) or SIGTERM (exit 143); a second signal exits at once. */
export async function watchCommand(file: string, targets: string[], flags: WatchFlags): Promise<number> {
  let interrupted!: () => void;
  const interrupt = new Promise<void>((resolve) => (interrupted = resolve));
  let signals = 0;
  let code: number = EXIT.cancelled;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) code = signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
    if (signals > 1) process.exit(code);
    interrupted();
  };
  // From the start: a signal while the pipeline loads or the first cycle starts still ends in an orderly stop.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const pipeline = await load(file, flags.set);
    checkStepNames(pipeline, targets, 'watch');
    if (signals > 0) return code;
    const reporter = flags.json ? jsonReporter() : textReporter(flags.verbose === true);
    const watch = await startWatch(pipeline, { targets, overrides: flags.set, jobs: flags.jobs ?? availableParallelism(), keepGoing: flags.keepGoing === true, env: process.env, debounceMs: flags.debounce }, reporter);
    await interrupt;
    await watch.stop();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

const clock = () => new Date().toTimeString().slice(0, 8);
const err = (line: string) => process.stderr.write(line + '\n');

/** `a.yaml, b.csv +3 more`, or `start` for the first run. */
export function describeTrigger(trigger: readonly string[]): string {
  if (trigger.length === 0) return 'start';
  const shown = trigger.slice(0, 3).join(', ');
  return trigger.length > 3 ? `${shown} +${trigger.length - 3} more` : shown;
}

/** One line per cycle: `hyperparameters/scale.yaml -> ran scaled 4 ms, report 8 ms · 2 cached · 61 ms`. */
export function cycleLine(cycle: Cycle): string {
  const { steps } = cycle.result;
  const named = (status: StepResult['status']) => steps.filter((s) => s.status === status);
  const cancelled = new Set(cycle.cancelled);
  const parts: string[] = [];
  const ran = named('executed').map((s) => `${s.id} ${formatDuration(s.duration_ms)}`);
  if (ran.length > 0) parts.push(`ran ${ran.join(', ')}`);
  const failed = named('failed').map((s) => s.id);
  if (failed.length > 0) parts.push(`failed ${failed.join(', ')}`);
  if (parts.length === 0) parts.push('nothing to rerun');
  const stopped = named('skipped').filter((s) => cancelled.has(s.id)).map((s) => s.id);
  if (stopped.length > 0) parts.push(`cancelled ${stopped.join(', ')} (rerun next)`);
  const skipped = named('skipped').filter((s) => !cancelled.has(s.id)).map((s) => s.id);
  if (skipped.length > 0) parts.push(`skipped ${skipped.join(', ')}`);
  parts.push(`${named('cached').length} cached`);
  parts.push(formatDuration(cycle.result.duration_ms));
  return `${describeTrigger(cycle.trigger)} -> ${parts.join(' · ')}`;
}

/** Step events: failures in full, logs only with --verbose (warnings always). */
function stepPrinter(verbose: boolean, print: (line: string) => void): RunObserver {
  return {
    stepStarted() {},
    stepProgress() {},
    stepLog(id, level, message) {
      if (verbose || level === 'warn') print(`    ${id}${level === 'warn' ? ' warning' : ''}: ${message}`);
    },
    stepFinished(r) {
      if (r.status === 'failed') print(`  ✗ ${r.id}: ${(r.error ?? r.reason).split('\n').join('\n      ')}`);
    },
  };
}

function textReporter(verbose: boolean): WatchReporter {
  return {
    steps: stepPrinter(verbose, err),
    watching: ({ files, ms }) => err(`watching ${files} paths (ready in ${formatDuration(ms)}); Ctrl-C to stop`),
    cycle: (cycle) => err(`[${clock()}] ${cycleLine(cycle)}`),
    unaffected: (trigger) => err(`[${clock()}] ${describeTrigger(trigger)} -> no step affected`),
    invalid(error, trigger) {
      printInvalid(error);
      err(`[${clock()}] ${describeTrigger(trigger)} -> invalid; keeping the last valid pipeline`);
    },
    error: (error) => err(`[${clock()}] error: ${error instanceof Error ? error.message : String(error)}`),
    waiting: err,
  };
}

function jsonReporter(): WatchReporter {
  return {
    steps: stepPrinter(false, err),
    watching() {},
    cycle: (cycle) => process.stdout.write(JSON.stringify({ ...cycle.result, trigger: cycle.trigger }) + '\n'),
    unaffected() {},
    invalid: (error) => printInvalid(error),
    error: (error) => err(`error: ${error instanceof Error ? error.message : String(error)}`),
    waiting: err,
  };
}
