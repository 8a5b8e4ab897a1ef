/** What the outbox holds: one JSON object per line, numbered by `seq` within its segment. */

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** JSON has no NaN or infinities; MLflow's REST API accepts these spellings. */
export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export type RecordBody =
  | {
      op: 'run';
      /** Local run id: the pipeline run's id, or `<pipeline run id>:<step id>` for a step. */
      run: string;
      parent?: string;
      experiment: string;
      name: string;
      start: number;
      tags: Record<string, string>;
      /** Cached step: local id of the step run that produced its outputs. */
      producedBy?: string;
      /** A run over as soon as it starts (a cached step): its end, in the same record (an `end` record would double a cached run's cost). */
      ended?: { status: RunStatus; end: number };
    }
  | { op: 'params'; run: string; params: Record<string, string> }
  | { op: 'tags'; run: string; tags: Record<string, string> }
  | { op: 'metric'; run: string; key: string; value: MetricValue; step: number; t: number }
  /** `hash` names the object in the project's store; `path` is where it goes in the run's artifacts. */
  | { op: 'artifact'; run: string; path: string; kind: 'file' | 'dir'; hash: string; bytes: number }
  | { op: 'end'; run: string; status: RunStatus; end: number };

export type OutboxRecord = RecordBody & { seq: number };

export function encodeMetricValue(value: number): MetricValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function decodeMetricValue(value: MetricValue): number {
  return typeof value === 'number' ? value : Number(value);
}
