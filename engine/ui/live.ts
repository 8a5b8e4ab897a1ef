/**
 * What runs in progress are doing, folded from the engine's event stream: the graph
 * shows their steps as running (or failed) before the run's records exist.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventsDir, readRunEvents, type EngineEvent } from '../events.ts';
import { alive } from '../process-alive.ts';

export type LiveStepState = 'running' | 'executed' | 'cached' | 'failed' | 'skipped';

export interface LiveRun {
  runId: string;
  pipeline: string;
  pid: number;
  startedAt: number;
  finishedAt?: number;
  status?: 'succeeded' | 'failed' | 'cancelled';
  steps: Map<string, LiveStepState>;
}

export interface LiveState {
  apply(event: EngineEvent): void;
  /** Runs of a pipeline file (project-relative) that have not finished and whose process is alive. */
  active(pipeline: string): LiveRun[];
}


/** Runs whose stream changed in the last day may still be going: they seed the state. */
const RECENT_MS = 24 * 3600_000;

export function openLiveState(storeDir: string): LiveState {
  const runs = new Map<string, LiveRun>();
  const apply = (e: EngineEvent) => {
    if (e.type === 'run-started') {
      runs.set(e.runId, { runId: e.runId, pipeline: e.pipeline, pid: e.pid, startedAt: e.t, steps: new Map() });
      return;
    }
    const run = runs.get(e.runId);
    if (!run) return;
    if (e.type === 'step-started') run.steps.set(e.step, 'running');
    else if (e.type === 'step-finished') run.steps.set(e.step, e.status);
    else if (e.type === 'run-finished') {
      run.finishedAt = e.t;
      run.status = e.status;
    }
  };
  const dir = eventsDir(storeDir);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    // No run has written a stream yet.
  }
  const now = Date.now();
  for (const name of names) {
    if (now - statSync(join(dir, name)).mtimeMs > RECENT_MS) continue;
    for (const e of readRunEvents(storeDir, name.slice(0, -'.jsonl'.length))) apply(e);
  }
  // Only unfinished runs matter once seeded.
  for (const [id, run] of runs) if (run.finishedAt !== undefined) runs.delete(id);
  return {
    apply(e) {
      apply(e);
      if (e.type === 'run-finished') runs.delete(e.runId);
    },
    active: (pipeline) => [...runs.values()].filter((r) => r.pipeline === pipeline && r.finishedAt === undefined && alive(r.pid)),
  };
}
