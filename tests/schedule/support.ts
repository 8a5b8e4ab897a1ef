/** A real `tradepipe schedule` process on a temp project, with its event lines parsed and awaitable. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { BIN, project, type Project } from '../helpers/project.ts';

export interface Event {
  /** When the daemon logged it. */
  at: number;
  pipeline: string;
  /** The slot it is about, in ms, if any. */
  slot?: number;
  text: string;
}

export interface Daemon {
  child: ResultPromise;
  events: Event[];
  stderr(): string;
  /** Waits until `pred` holds for some event after `from` (index), returns it. */
  waitFor(pred: (e: Event) => boolean, ms?: number, from?: number): Promise<Event>;
}

/** Events arrive within a second on an idle machine; this one is shared, so wait generously. */
const WAIT_MS = 30_000;

const LINE = /^(\S+Z) (\S+)(?: (.*))?$/;
const SLOT = /slot (\S+Z)/;

const started = new Set<ResultPromise>();

/** Kills every daemon a test left running (a failed assertion), so the suite never hangs on one. */
export function killDaemons(): void {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
}

/** `tradepipe schedule p.yaml ...args` in the project; `files: []` for the default, pipelines.d/. */
export function startDaemon(p: Project, args: string[], files = ['p.yaml']): Daemon {
  const child = execa(BIN, ['schedule', ...files, ...args], {
    cwd: p.dir,
    reject: false,
    // The daemon's grace period is the subject of the tests: execa must not SIGKILL it after its own 5 s.
    forceKillAfterDelay: false,
    env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', TRADEPIPE_TRACKING: 'off' },
  });
  started.add(child);
  const events: Event[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = LINE.exec(line);
      if (!m) continue;
      const slot = SLOT.exec(m[3] ?? '');
      events.push({ at: Date.parse(m[1]!), pipeline: m[2]!, text: m[3] ?? '', ...(slot ? { slot: Date.parse(slot[1]!) } : {}) });
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    child,
    events,
    stderr: () => err,
    waitFor(pred, ms = WAIT_MS, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.slice(from).find(pred);
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such event within ${ms} ms; events:\n${events.map((e) => `${new Date(e.at).toISOString()} ${e.pipeline} ${e.text}`).join('\n')}\nstderr:\n${err}`));
        }, ms);
        if (!check()) waiters.add(check);
      });
    },
  };
}

/** A project with one scheduled pipeline `p.yaml` whose step logs `start <slot>` / `end <slot>` to runs.txt. */
export function scheduledProject(schedule: string, sleepSeconds = 0): Project {
  const cmd = sleepSeconds > 0 ? `echo start $TRADEPIPE_SCHEDULE_SLOT >> runs.txt; sleep ${sleepSeconds}; echo end $TRADEPIPE_SCHEDULE_SLOT >> runs.txt` : 'echo start $TRADEPIPE_SCHEDULE_SLOT >> runs.txt';
  return project({
    'p.yaml': `pipeline: p
steps:
  work: { uses: exec, cache: false, env: [TRADEPIPE_SCHEDULE_SLOT], with: { cmd: "${cmd}" } }
schedule:
${schedule.replace(/^/gm, '  ')}
`,
  });
}

/** Slots the child runs logged, `start` or `end`, in ms. */
export function runLog(p: Project, kind: 'start' | 'end'): number[] {
  let text = '';
  try {
    text = readFileSync(join(p.dir, 'runs.txt'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith(kind + ' '))
    .map((l) => Date.parse(l.slice(kind.length + 1)));
}

/** One line per fire: the slot's decision (a queued slot starting later, `run (pid N, queued)`, is not a fire). */
export const fires = (events: Event[]) => events.filter((e) => /^slot \S+: (run \(pid \d+(, catch-up)?\)$|queued,|skipped, the|cancelling)/.test(e.text));
export const isFinished = (e: Event) => /: (succeeded|failed|cancelled) in /.test(e.text);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
