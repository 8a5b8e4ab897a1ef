/**
 * The engine's event stream: every run appends what happens to its steps to
 * `.tradepipe/events/<runId>.jsonl`, one JSON object per line, so other processes
 * (the UI server, a dashboard) can follow runs live by watching one folder, and a
 * run's timeline and logs can be read back later. Log lines are written as the
 * executor hands them over, i.e. already redacted of secrets.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunObserver, StepResult } from './run-state.ts';
import { describeReasons } from './planner.ts';

interface RunScope {
  /** Epoch milliseconds. */
  t: number;
  runId: string;
  /** Pipeline file, project-relative. */
  pipeline: string;
}

export type EngineEvent =
  | (RunScope & { type: 'run-started'; pid: number; steps: string[] })
  | (RunScope & { type: 'step-started'; step: string; reason: string })
  | (RunScope & { type: 'step-progress'; step: string; fraction: number; message?: string })
  | (RunScope & { type: 'step-log'; step: string; level: 'info' | 'warn' | 'debug'; message: string })
  | (RunScope & { type: 'step-finished'; step: string; status: StepResult['status']; reason: string; durationMs: number; error?: string })
  | (RunScope & { type: 'run-finished'; status: 'succeeded' | 'failed' | 'cancelled'; durationMs: number });

export function eventsDir(storeDir: string): string {
  return join(storeDir, 'events');
}

export function eventFile(storeDir: string, runId: string): string {
  return join(eventsDir(storeDir), `${runId}.jsonl`);
}

/** Progress updates kept per step per second: enough to look live, not enough to bloat the file. */
const PROGRESS_PER_SECOND = 4;

export interface RunEvents {
  /** An observer that records every call in the stream, then passes it on. */
  observe(observer: RunObserver): RunObserver;
  /** Records the run's end and waits until every event is written. */
  finish(status: 'succeeded' | 'failed' | 'cancelled', durationMs: number): Promise<void>;
}

/**
 * Opens the event file of one run and records its start. Writing is best effort: a
 * full disk warns once through `warn` and never fails the run.
 */
export function recordRunEvents(storeDir: string, scope: { runId: string; pipeline: string; steps: readonly string[] }, warn: (message: string) => void): RunEvents {
  mkdirSync(eventsDir(storeDir), { recursive: true });
  const stream = createWriteStream(eventFile(storeDir, scope.runId), { flags: 'a' });
  let failed = false;
  stream.on('error', (error) => {
    if (!failed) warn(`event stream: ${error.message}`);
    failed = true;
  });
  const base = () => ({ t: Date.now(), runId: scope.runId, pipeline: scope.pipeline });
  const emit = (event: EngineEvent) => {
    if (!failed) stream.write(JSON.stringify(event) + '\n');
  };
  emit({ ...base(), type: 'run-started', pid: process.pid, steps: [...scope.steps] });
  const lastProgress = new Map<string, number>();
  return {
    observe: (observer) => ({
      stepStarted(id, decision) {
        emit({ ...base(), type: 'step-started', step: id, reason: describeReasons(decision.reasons) });
        observer.stepStarted(id, decision);
      },
      stepProgress(id, fraction, message) {
        const now = Date.now();
        if (now - (lastProgress.get(id) ?? 0) >= 1000 / PROGRESS_PER_SECOND || fraction >= 1) {
          lastProgress.set(id, now);
          emit({ ...base(), type: 'step-progress', step: id, fraction, ...(message === undefined ? {} : { message }) });
        }
        observer.stepProgress(id, fraction, message);
      },
      stepLog(id, level, message) {
        emit({ ...base(), type: 'step-log', step: id, level, message });
        observer.stepLog(id, level, message);
      },
      stepFinished(result) {
        emit({ ...base(), type: 'step-finished', step: result.id, status: result.status, reason: result.reason, durationMs: result.duration_ms, ...(result.error === undefined ? {} : { error: result.error }) });
        observer.stepFinished(result);
      },
    }),
    async finish(status, durationMs) {
      emit({ ...base(), type: 'run-finished', status, durationMs });
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

/** Parses JSON lines, skipping a torn or foreign line rather than failing the reader. */
export function parseEvents(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const value = JSON.parse(line) as EngineEvent;
      if (value && typeof value.type === 'string' && typeof value.runId === 'string') out.push(value);
    } catch {
      // A line still being written; the follower sees it complete later.
    }
  }
  return out;
}

/** Every event of one run, in order; empty when the run left no stream (e.g. it predates it). */
export function readRunEvents(storeDir: string, runId: string): EngineEvent[] {
  const file = eventFile(storeDir, runId);
  return existsSync(file) ? parseEvents(readFileSync(file, 'utf8')) : [];
}

export interface EventFollower {
  close(): void;
}

/**
 * Calls `onEvent` for each event appended to any run's stream from now on. It watches
 * the folder (inotify and the like): nothing is polled, and only the bytes appended
 * since the last read of a file are read.
 */
export function followEvents(storeDir: string, onEvent: (event: EngineEvent) => void): EventFollower {
  const dir = eventsDir(storeDir);
  mkdirSync(dir, { recursive: true });
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  const reading = new Map<string, Promise<void>>();
  const again = new Set<string>();

  const readNew = async (name: string): Promise<void> => {
    const path = join(dir, name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return;
    }
    const from = offsets.get(name) ?? 0;
    if (size <= from) return;
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(size - from);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
      offsets.set(name, from + bytesRead);
      const text = (partial.get(name) ?? '') + buffer.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      partial.set(name, text.slice(cut));
      for (const event of parseEvents(text.slice(0, cut))) onEvent(event);
    } finally {
      await handle.close();
    }
  };
  /** One read per file at a time; a change during a read triggers one more. */
  const schedule = (name: string) => {
    if (reading.has(name)) return void again.add(name);
    const run = readNew(name)
      .catch(() => undefined)
      .finally(() => {
        reading.delete(name);
        if (again.delete(name)) schedule(name);
      });
    reading.set(name, run);
  };

  // What exists now is history: follow from its current end.
  for (const name of readdirSync(dir)) if (name.endsWith('.jsonl')) offsets.set(name, statSync(join(dir, name)).size);
  let watcher: FSWatcher | undefined = watch(dir, (_kind, name) => {
    if (name?.endsWith('.jsonl')) schedule(name);
  });
  return {
    close() {
      watcher?.close();
      watcher = undefined;
    },
  };
}
