/**
 * `/api/steps/:id`: everything the step panel shows. The stale reason and the cache-key
 * inputs come from `status --explain` itself (explainStepJson), never recomputed here.
 */
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import { readRunEvents, type EngineEvent } from '../events.ts';
import { explainStepJson, type Explanation } from '../cli/explain.ts';
import { MlflowClient } from '../tracking/client.ts';
import { clientOptionsFromEnv } from '../tracking/mlflow-options.ts';
import { openTarget } from '../tracking/target.ts';
import { findRun } from '../tracking/commands/runs.ts';
import type { MetricPoint } from '../tracking/backend.ts';
import type { ArtifactKind } from '../plugin.ts';
import type { Pipeline } from '../pipeline.ts';
import { NotFound } from './catalogue.ts';

export interface StepRunRow {
  runId: string;
  startedAt: string;
  /** executed, cached, failed or skipped. */
  outcome: string;
  durationMs: number | null;
}

export interface StepDetail {
  pipeline: string;
  id: string;
  plugin: string;
  version: string;
  description: string;
  params: Record<string, unknown>;
  explanation: Explanation;
  lastRuns: StepRunRow[];
  /** The log of the last run that executed the step: its lines, then its error. */
  logs: { runId: string; lines: { t: number; level: string; message: string }[]; error?: string } | null;
  /** Metric histories of the run that produced the current outputs (tracking). */
  metrics: Record<string, MetricPoint[]>;
  /** Why there are no metrics, when tracking could not be read. */
  metricsError?: string;
  outputs: { name: string; kind: ArtifactKind; hash: string; size: number }[];
  /** The producing run on the MLflow server, when one is configured. */
  mlflowUrl: string | null;
}

const LAST_RUNS = 10;

export async function stepDetail(pipeline: Pipeline, id: string, env: NodeJS.ProcessEnv): Promise<StepDetail> {
  const step = pipeline.steps.get(id);
  if (!step) throw new NotFound(`no step \`${id}\` in ${pipeline.name}`);
  const file = projectRelative(pipeline.root, pipeline.file);
  const explanation = await explainStepJson(pipeline, id);
  const session = openSession(pipeline.root);
  const record = session.view(file).latest(id);
  const storeDir = session.paths.store;

  const runs = session.records.runs().filter((r) => r.pipeline === file && r.steps.some((s) => s.id === id));
  const lastRuns: StepRunRow[] = [];
  let logs: StepDetail['logs'] = null;
  for (const run of runs) {
    const events: EngineEvent[] = lastRuns.length < LAST_RUNS || !logs ? readRunEvents(storeDir, run.runId) : [];
    const finished = events.find((e) => e.type === 'step-finished' && e.step === id);
    const { status: outcome, key } = run.steps.find((s) => s.id === id)!;
    if (lastRuns.length < LAST_RUNS) {
      const own = key === undefined ? undefined : session.records.read(key);
      const durationMs = finished?.type === 'step-finished' ? finished.durationMs : own?.runId === run.runId ? own.durationMs : null;
      lastRuns.push({ runId: run.runId, startedAt: run.startedAt, outcome, durationMs });
    }
    if (!logs && (outcome === 'executed' || outcome === 'failed') && events.length > 0) {
      const lines: { t: number; level: string; message: string }[] = events.flatMap((e) => (e.type === 'step-log' && e.step === id ? [{ t: e.t, level: e.level, message: e.message }] : []));
      logs = { runId: run.runId, lines, ...(finished?.type === 'step-finished' && finished.error ? { error: finished.error } : {}) };
    }
    if (lastRuns.length >= LAST_RUNS && logs) break;
  }

  const metrics: Record<string, MetricPoint[]> = {};
  let metricsError: string | undefined;
  let mlflowUrl: string | null = null;
  if (record) {
    try {
      const { backend } = await openTarget({ store: session.store, env });
      const run = await findRun(backend, `${record.runId}:${record.stepId}`);
      for (const key of Object.keys(run.metrics).sort()) metrics[key] = await backend.metricHistory(run.runId, key);
      const options = clientOptionsFromEnv(env);
      if (options) mlflowUrl = `${new MlflowClient(options).displayUri}/#/experiments/${run.experimentId}/runs/${run.runId}`;
    } catch (error) {
      metricsError = error instanceof Error ? error.message : String(error);
    }
  }
  const plugin = step.plugin.plugin;
  return {
    pipeline: pipeline.name,
    id,
    plugin: plugin.name,
    version: plugin.version,
    description: plugin.description,
    params: step.params,
    explanation,
    lastRuns,
    logs,
    metrics,
    ...(metricsError === undefined ? {} : { metricsError }),
    outputs: record ? Object.entries({ ...record.outputs, ...record.files }).map(([name, ref]) => ({ name, kind: ref.kind, hash: ref.hash, size: ref.size })) : [],
    mlflowUrl,
  };
}
