/**
 * What the CLI, the workflow and the workers exchange. Plain data only: the workflow
 * sandbox imports this file, so it must not import anything with side effects.
 */

/** One step to execute on a worker. */
export interface StepTask {
  /** Project-relative pipeline file; the worker loads it from its own checkout. */
  pipeline: string;
  /** The run's `--set` overrides, so the worker resolves the same params. */
  overrides: string[];
  stepId: string;
  /** The record key of each selected upstream step (its outputs come from the remote). */
  upstream: Record<string, string>;
  /** The cache key the CLI planned; the worker refuses to run a step whose key differs (other code or plugin versions). */
  key: string;
  forced: boolean;
  runId: string;
  taskQueue: string;
}

/** What a worker returns: the step's record is in the remote under `key`. */
export interface StepOutcome {
  key: string;
  /** `executed`, or `cached` when the remote already held the record (a retry after the work was done). */
  status: 'executed' | 'cached';
  host: string;
  outputs: Record<string, string>;
}

export const WORKFLOW_NAME = 'pipelineRun';
export const RUN_STEP_UPDATE = 'runStep';
export const FINISH_SIGNAL = 'finish';
/** A worker that stops heartbeating for this long is presumed dead; its step is retried elsewhere. */
export const HEARTBEAT_TIMEOUT_S = 5;
/** Attempts per step: a lost worker, or a failing step, gets this many tries in all. */
export const MAX_ATTEMPTS = 3;
