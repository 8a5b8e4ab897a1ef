/**
 * Live progress for a human terminal (a redrawn line of running steps with timings),
 * plain lines when stderr is not a TTY. Results go to stdout; progress to stderr.
 */
import type { RunObserver, StepResult, RunResult } from './executor.ts';
import type { Decision } from './planner.ts';
import { describeReasons } from './planner.ts';
import { formatDuration } from './format.ts';

const MARK: Record<StepResult['status'], string> = { executed: '✓', cached: '·', skipped: '-', failed: '✗' };

export interface Reporter extends RunObserver {
  close(): void;
}

export function consoleReporter(stream: NodeJS.WriteStream, opts: { quiet?: boolean; verbose?: boolean } = {}): Reporter {
  const tty = stream.isTTY === true && !opts.quiet;
  const running = new Map<string, { since: number; progress?: string }>();
  let footer = false;
  const clear = () => {
    if (footer) stream.write('\r\x1b[K');
    footer = false;
  };
  const draw = () => {
    if (!tty || running.size === 0) return clear();
    const now = performance.now();
    const parts = [...running].map(([id, r]) => `${id} ${formatDuration(now - r.since)}${r.progress ? ` (${r.progress})` : ''}`);
    const line = `running: ${parts.join(' · ')}`;
    stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    footer = true;
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  timer?.unref();
  // A busy run finishes thousands of steps a second: what is written to the stream until the event loop
  // turns (by anyone, in order) goes out in one write instead of one system call a line.
  let corked = false;
  const print = (line: string, important = false) => {
    if (opts.quiet && !important) return;
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(() => {
        corked = false;
        stream.uncork();
      });
    }
    clear();
    stream.write(line + '\n');
    draw();
  };
  return {
    stepStarted(id: string, decision: Decision) {
      running.set(id, { since: performance.now() });
      if (!tty) print(`  > ${id}: running (${describeReasons(decision.reasons)})`);
      else draw();
    },
    stepProgress(id, fraction, message) {
      const r = running.get(id);
      if (!r) return;
      r.progress = `${Math.round(fraction * 100)}%${message ? ` ${message}` : ''}`;
      if (!tty && opts.verbose) print(`    ${id}: ${r.progress}`);
    },
    stepLog(id, level, message) {
      if (level === 'debug' && !opts.verbose) return;
      print(`    ${id}${level === 'warn' ? ' warning' : ''}: ${message}`, level === 'warn');
    },
    stepFinished(r) {
      running.delete(r.id);
      const timing = r.status === 'executed' || r.status === 'failed' ? ` ${formatDuration(r.duration_ms)}` : '';
      print(`  ${MARK[r.status]} ${r.id}: ${r.status}${timing}${r.reason ? ` (${r.reason})` : ''}${r.error ? `\n      ${r.error.split('\n').join('\n      ')}` : ''}`);
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}

export function summarize(result: RunResult, ms: number): string {
  const count = (s: StepResult['status']) => result.steps.filter((x) => x.status === s).length;
  return `${result.pipeline}: ${result.status} in ${formatDuration(ms)} — ${count('executed')} executed, ${count('cached')} cached, ${count('failed')} failed, ${count('skipped')} skipped`;
}
