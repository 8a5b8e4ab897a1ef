/**
 * One pipeline, one workflow at a time. A run's workflow id is derived from the shared cache
 * and the pipeline file, so a second `run --executor temporal` of the same pipeline (a rerun
 * after the CLI died, or a teammate's run against the same remote) meets the workflow still
 * running instead of starting another that would run the same steps twice. The workflow's
 * memo says what it schedules; `compareWithRunning` decides whether the new run can simply
 * follow it (attach) or must wait for it, because it schedules another version of a step
 * (the pipeline was edited) or not every step the new run needs.
 */
import { HASH_PREFIX, hashJson } from '../hash.ts';
import type { Step } from '../pipeline-model.ts';
import type { RunGraph } from './protocol.ts';

/** What a workflow records about itself in its memo (visible in `temporal workflow describe` and the Web UI). */
export interface WorkflowMemo {
  pipeline: string;
  runId: string;
  /** The machine whose CLI started it. */
  host: string;
  /** Per step: its definition's fingerprint, the planned key when known, whether it was forced. */
  steps: Record<string, MemoStep>;
}

export interface MemoStep {
  definition: string;
  key?: string;
  forced: boolean;
}

export type RunningVerdict =
  /** The running workflow schedules every step of this run, in the same version: follow it. */
  | { action: 'attach' }
  /** It schedules other versions of these steps: the pipeline (or a file or plugin it reads) changed since it started. */
  | { action: 'wait'; changed: string[]; missing: string[] };

/** `tradepipe-<pipeline>-<hash of remote and file>`: the same for every checkout sharing the remote. */
export function workflowIdFor(remoteUrl: string, pipelineFile: string, pipelineName: string): string {
  const slug = pipelineName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'pipeline';
  return `tradepipe-${slug}-${hashJson({ remote: remoteUrl, pipeline: pipelineFile }).slice(HASH_PREFIX.length, HASH_PREFIX.length + 12)}`;
}

/** Everything in a step's definition that its key depends on, other than its inputs' content. */
export function stepDefinition(step: Step): string {
  const { uses, params, inputs, needs, env, deps, outs, cache, alwaysRun, resources, retries } = step;
  return hashJson({ uses, version: step.plugin.plugin.version, params, inputs, needs, env, deps, outs, cache, alwaysRun, resources, retries: retries ?? null });
}

export function memoOf(graph: RunGraph, host: string, definitions: ReadonlyMap<string, string>): WorkflowMemo {
  const steps: Record<string, MemoStep> = {};
  for (const s of graph.steps) steps[s.id] = { definition: definitions.get(s.id)!, forced: s.forced, ...(s.key ? { key: s.key } : {}) };
  return { pipeline: graph.pipeline, runId: graph.runId, host, steps };
}

/**
 * Whether a run with `graph` can follow the running workflow: each of its steps must be one the
 * workflow schedules, with the same definition, the same key where both know it, and forced if
 * this run forces it. Steps the workflow schedules beyond those do not matter.
 */
export function compareWithRunning(running: WorkflowMemo, graph: RunGraph, definitions: ReadonlyMap<string, string>): RunningVerdict {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const s of graph.steps) {
    const old = running.steps[s.id];
    if (!old || (s.forced && !old.forced)) missing.push(s.id);
    else if (old.definition !== definitions.get(s.id) || (old.key && s.key && old.key !== s.key)) changed.push(s.id);
  }
  return changed.length + missing.length === 0 ? { action: 'attach' } : { action: 'wait', changed, missing };
}
