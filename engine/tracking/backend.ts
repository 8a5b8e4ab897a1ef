/**
 * Where shipped tracking data ends up: an MLflow server (`mlflowBackend`) or the
 * embedded store in the project (`localBackend`). The shipper writes through this
 * interface; `runs list|show|compare` read through it.
 */
import type { RunStatus } from './outbox-records.ts';

export interface RunRef {
  runId: string;
  artifactUri: string;
}

export interface MetricPoint {
  value: number;
  step: number;
  timestamp: number;
}

export interface RunView extends RunRef {
  experimentId: string;
  name: string;
  status: RunStatus | 'SCHEDULED';
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value of each metric (highest step, then latest timestamp), as MLflow reports it. */
  metrics: Record<string, MetricPoint>;
}

export interface Batch {
  metrics: (MetricPoint & { key: string })[];
  params: [string, string][];
  tags: [string, string][];
}

export interface RunQuery {
  experimentIds?: string[];
  /** Every tag must have exactly this value. */
  tags?: Record<string, string>;
  /** Only runs without a parent run: lets a store skip its step runs' data. */
  topLevel?: boolean;
  limit?: number;
}

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  bytes?: number;
}

export interface TrackingBackend {
  readonly kind: 'mlflow' | 'local';
  /** Names this target in ship state: the same history ships separately to each target. */
  readonly targetKey: string;
  /** For messages: the server URI (without credentials) or the store's folder. */
  readonly description: string;
  /** Requests worth having in flight at once while shipping. */
  readonly concurrency: number;

  ensureExperiment(name: string): Promise<string>;
  findRunByLocalId(experimentId: string, localRunId: string): Promise<RunRef | undefined>;
  /** The runs whose `mlflow.parentRunId` is `parentRunId`, by their `tradepipe.local_run_id`: one lookup for all of a pipeline run's steps. */
  listChildRuns(experimentId: string, parentRunId: string): Promise<Map<string, RunRef>>;
  /** `tags` becomes the run's (the backend may keep the object: the caller hands it over); `ended`: a run created already over. */
  createRun(req: { experimentId: string; name: string; startTime: number; tags: Record<string, string>; ended?: { status: RunStatus; end: number } }): Promise<RunRef>;
  logBatch(runId: string, batch: Batch): Promise<void>;
  updateRun(runId: string, status: RunStatus, endTime: number): Promise<void>;
  /** Uploads a file or a directory's files under `artifactPath` of the run. */
  uploadArtifact(run: RunRef, artifactPath: string, localPath: string): Promise<void>;
  /** Makes every write so far durable; the shipper calls it before recording progress. */
  flush(): Promise<void>;

  listExperiments(): Promise<{ id: string; name: string }[]>;
  /** Newest first. */
  searchRuns(query: RunQuery): Promise<RunView[]>;
  getRun(runId: string): Promise<RunView | undefined>;
  metricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  listArtifacts(run: RunRef, path?: string): Promise<ArtifactEntry[]>;
  /** Copies what an artifact URI this backend handed out names to `dest`: a directory, or a file when the URI names one. */
  downloadArtifacts(artifactUri: string, dest: string): Promise<void>;
}

/** Tags tradepipe puts on every run it creates. */
export const TAG = {
  localRunId: 'tradepipe.local_run_id',
  runKind: 'tradepipe.run_kind',
  pipeline: 'tradepipe.pipeline',
  pipelineFile: 'tradepipe.pipeline_file',
  gitCommit: 'tradepipe.git_commit',
  gitDirty: 'tradepipe.git_dirty',
  stepId: 'tradepipe.step_id',
  plugin: 'tradepipe.plugin',
  pluginVersion: 'tradepipe.plugin_version',
  cacheKey: 'tradepipe.cache_key',
  cached: 'tradepipe.cached',
  producedByLocal: 'tradepipe.produced_by_local_run_id',
  producedBy: 'tradepipe.produced_by_run_id',
  durationMs: 'tradepipe.duration_ms',
  outputPrefix: 'tradepipe.output.',
  artifactRefPrefix: 'tradepipe.artifact_ref.',
  parentRunId: 'mlflow.parentRunId',
  runName: 'mlflow.runName',
  mlflowGitCommit: 'mlflow.source.git.commit',
} as const;

/** MLflow's notion of a metric's latest value. */
export function latestPoint(points: MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) {
    if (!best || p.step > best.step || (p.step === best.step && p.timestamp >= best.timestamp)) best = p;
  }
  return best;
}
