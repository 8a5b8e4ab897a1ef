/**
 * What the CLI, the workflow and the workers exchange. Plain data only: the workflow
 * sandbox imports this file, so it imports nothing but types.
 */
import type { Reason } from '../planner.ts';
import type { ArtifactRef } from '../store.ts';

/** One pipeline run as the workflow schedules it: the steps that must execute, or may turn out cached by early cutoff. */
export interface RunGraph {
  runId: string;
  /** Project-relative pipeline file; each worker loads it from its own checkout. */
  pipeline: string;
  /** The run's `--set` overrides, so a worker resolves the same params. */
  overrides: string[];
  /** Steps executing at once (`--jobs`). */
  jobs: number;
  /** `--resource` capacities; a tag not named has capacity 1, as locally. */
  resources: Record<string, number>;
  keepGoing: boolean;
  /** Whether the CLI tracks the run: workers record `ctx.track` calls only then. */
  track: boolean;
  /** In pipeline order. */
  steps: GraphStep[];
}

export interface GraphStep {
  id: string;
  /** Upstream steps of this graph: their keys come from their activities' outcomes. */
  needs: string[];
  /** Upstream steps that were already done when the run was planned (cached), by record key. */
  done: Record<string, string>;
  taskQueue: string;
  resources: Record<string, number>;
  forced: boolean;
  /** Temporal's maximumAttempts: the step's `retries:` plus one. */
  maxAttempts: number;
  /** The key the CLI planned, when it knew every upstream output; a worker with another key refuses the step. */
  key?: string;
}

/** One step to execute on a worker, with the record key of each of its upstream steps. */
export interface StepTask {
  runId: string;
  pipeline: string;
  overrides: string[];
  stepId: string;
  upstream: Record<string, string>;
  forced: boolean;
  track: boolean;
  key?: string;
}

/** A call a plugin made on `ctx.track` on a worker; the CLI replays it into the run's tracking. Artifacts travel as remote objects. */
export type TrackedCall =
  | { op: 'params'; values: Record<string, unknown> }
  | { op: 'metric'; name: string; value: number; step?: number }
  | { op: 'tag'; name: string; value: string }
  | { op: 'artifact'; name: string; ref: ArtifactRef };

/** What a worker returns: the step's record is in the remote under `key`. */
export interface StepOutcome {
  key: string;
  /** `cached` when the worker's plan found the record already (early cutoff, or a retry after the work was done). */
  status: 'executed' | 'cached';
  /** Why it executed (empty when cached). */
  reasons: Reason[];
  /** Why it executed, or why it was cached, as the result says it. */
  reason: string;
  host: string;
  tracked: TrackedCall[];
  /** Ran in the CLI process that follows the run, which tracked it directly (`tracked` is empty). */
  trackedHere?: boolean;
}

/** What a worker's heartbeat carries: whether the plugin started (and why), and its last `ctx.progress`. */
export interface Beat {
  started?: { key: string; reasons: Reason[] };
  fraction?: number;
  message?: string;
}

export type StepState =
  | { status: 'pending' }
  | { status: 'running' }
  | { status: 'done'; outcome: StepOutcome }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string };

/** The workflow's answer to the progress query, and its result. */
export interface RunProgress {
  steps: Record<string, StepState>;
}

export const WORKFLOW_NAME = 'pipelineRun';
export const PROGRESS_QUERY = 'progress';
/** A worker that stops heartbeating for this long is presumed dead; its step is retried elsewhere. */
export const HEARTBEAT_TIMEOUT_S = 5;
/** Errors a retry cannot fix. */
export const NON_RETRYABLE = ['KeyMismatch', 'InvalidPipeline'];
