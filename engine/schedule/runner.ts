/**
 * One scheduled run: a child `tradepipe run` process, so a crashing run never takes the
 * daemon down. Its output goes to a log file. The child gets its own process group, so
 * a Ctrl-C at the daemon's terminal reaches only the daemon, which then gives running
 * runs their grace period instead of killing them.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { alive } from '../process-alive.ts';

/** `unknown`: a run adopted from an earlier scheduler process, whose exit status nobody can read. */
export type Finished = { outcome: 'succeeded' | 'failed' | 'cancelled' | 'unknown'; exitCode: number | null; signal: string | null; ms: number; lastLine: string };

export interface RunHandle {
  readonly pid: number | undefined;
  readonly done: Promise<Finished>;
  /** SIGTERM: `tradepipe run` cancels its steps and exits; its whole group is killed if it has not after `killAfterMs`. */
  cancel(killAfterMs?: number): void;
}

export interface RunRequest {
  /** How to start `tradepipe`, e.g. `[node, /path/to/bin/tradepipe]`. */
  command: readonly string[];
  root: string;
  /** Project-relative pipeline file. */
  file: string;
  set: readonly string[];
  slot: Date;
  logPath: string;
  env: NodeJS.ProcessEnv;
}

/** `tradepipe run` exits 130 when cancelled. */
const CANCELLED_EXIT = 130;

export function startRun(req: RunRequest): RunHandle {
  mkdirSync(dirname(req.logPath), { recursive: true });
  const fd = openSync(req.logPath, 'a');
  const args = [...req.command.slice(1), 'run', req.file, ...req.set.flatMap((s) => ['--set', s])];
  const t0 = performance.now();
  const child = spawn(req.command[0]!, args, {
    cwd: req.root,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...req.env, TRADEPIPE_SCHEDULE_SLOT: req.slot.toISOString() },
  });
  closeSync(fd);
  let cancelled = false;
  let killer: NodeJS.Timeout | undefined;
  const done = new Promise<Finished>((resolve) => {
    const finish = (exitCode: number | null, signal: string | null, spawnError?: Error) => {
      clearTimeout(killer);
      const outcome = exitCode === 0 ? 'succeeded' : cancelled && (exitCode === CANCELLED_EXIT || signal !== null) ? 'cancelled' : 'failed';
      resolve({ outcome, exitCode, signal, ms: performance.now() - t0, lastLine: spawnError ? spawnError.message : outcome === 'failed' ? lastErrorLine(req.logPath) : '' });
    };
    child.once('error', (error) => finish(null, null, error));
    child.once('exit', (code, signal) => finish(code, signal));
  });
  return {
    pid: child.pid,
    done,
    cancel(killAfterMs = 10_000) {
      if (cancelled || child.pid === undefined || child.exitCode !== null) return;
      cancelled = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), killAfterMs);
    },
  };
}

/**
 * A run started by a scheduler process that was killed (its children live on): only its
 * end can be seen, by polling its pid. Cancelling it works as for a run of our own.
 */
export function adoptRun(pid: number, pollMs = 500): RunHandle {
  const t0 = performance.now();
  let cancelled = false;
  let killer: NodeJS.Timeout | undefined;
  const done = new Promise<Finished>((resolve) => {
    const poll = setInterval(() => {
      if (alive(pid)) return;
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ outcome: cancelled ? 'cancelled' : 'unknown', exitCode: null, signal: null, ms: performance.now() - t0, lastLine: 'started before the scheduler restarted; its exit status is unknown' });
    }, pollMs);
  });
  return {
    pid,
    done,
    cancel(killAfterMs = 10_000) {
      if (cancelled) return;
      cancelled = true;
      signalProcess(pid, 'SIGTERM');
      killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), killAfterMs);
    },
  };
}

/** Whether a live pid is a `tradepipe run` (not a process that reused the pid); true where /proc cannot tell. */
export function isTradepipeRun(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('tradepipe')) && argv.includes('run');
  } catch {
    return process.platform !== 'linux';
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** What a failed run said last: its `error:` line if it printed one. */
function lastErrorLine(logPath: string): string {
  let lines: string[];
  try {
    lines = readFileSync(logPath, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return '';
  }
  const line = [...lines].reverse().find((l) => /^(error|✗)/.test(l)) ?? lines.at(-1) ?? '';
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}

/** Keeps the newest `keep` logs in a schedule's log folder (names sort by slot). */
export function pruneLogs(dir: string, keep: number): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  } catch {
    return;
  }
  for (const name of names.slice(0, Math.max(0, names.length - keep))) rmSync(join(dir, name), { force: true });
}
