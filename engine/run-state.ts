/**
 * What one pipeline run knows while it runs, shared by the scheduler and the step runner:
 * each step's record, result and whereabouts. Also the run's results as reported.
 */
import type { GitInfo } from './git.ts';
import { gitInfo } from './git.ts';
import type { Pipeline } from './pipeline.ts';
import type { Decision } from './planner.ts';
import type { RunInfo } from './plugin.ts';
import type { RunRecord } from './records.ts';

export type StepStatus = 'executed' | 'cached' | 'skipped' | 'failed';

export interface StepResult {
  id: string;
  status: StepStatus;
  reason: string;
  duration_ms: number;
  outputs: Record<string, string>;
  error?: string;
}

/** A step's result, and (for a step that recorded anything) a promise that settles once that is durable. */
export interface StepOutcome {
  result: StepResult;
  durable?: Promise<unknown>;
}

export interface RunResult {
  runId: string;
  pipeline: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  duration_ms: number;
  steps: StepResult[];
}

/** What the executor tells whoever displays or records the run. */
export interface RunObserver {
  stepStarted(id: string, decision: Decision): void;
  stepProgress(id: string, fraction: number, message?: string): void;
  stepLog(id: string, level: 'info' | 'warn' | 'debug', message: string): void;
  stepFinished(result: StepResult): void;
}

export class RunState {
  /** Records of the steps done so far (executed or cached): their outputs feed downstream steps. */
  readonly records = new Map<string, RunRecord>();
  readonly results = new Map<string, StepResult>();
  readonly running = new Set<string>();
  /** When and why each executing step started, for its result if it fails. */
  readonly started = new Map<string, { at: number; why: string }>();
  /** Steps that failed or were skipped: their dependents are skipped. */
  readonly failed = new Set<string>();

  constructor(
    readonly pipeline: Pipeline,
    /** Project-relative pipeline file. */
    readonly pipelineRel: string,
    readonly runId: string,
    readonly startedAt: string,
    /** The selected steps in pipeline order. */
    readonly order: readonly string[],
    private git: GitInfo | undefined,
  ) {}

  /** What a plugin may show of the run (a report's metadata); not part of any key. */
  runInfo(): RunInfo {
    this.git ??= gitInfo(this.pipeline.root);
    return {
      pipeline: this.pipelineRel,
      runId: this.runId,
      startedAt: this.startedAt,
      git: this.git,
      steps: this.order.map((id) => {
        const s = this.pipeline.steps.get(id)!;
        const done = this.results.get(id);
        const status = done?.status ?? (this.running.has(id) ? 'running' : 'pending');
        return { id, uses: s.uses, params: s.params, status, ...(status === 'cached' ? { producedIn: this.records.get(id)?.runId } : {}) };
      }),
    };
  }
}

/** A step's result from its record: output hashes by port, then by workspace path. */
export function resultOf(id: string, status: StepStatus, reason: string, t0: number, record: RunRecord): StepResult {
  const outputs: Record<string, string> = {};
  for (const [name, ref] of Object.entries(record.outputs)) outputs[name] = ref.hash;
  for (const [path, ref] of Object.entries(record.files)) outputs[path] = ref.hash;
  return { id, status, reason, duration_ms: Math.round(performance.now() - t0), outputs };
}
