/**
 * What the project's history says about each pipeline and step, for metrics: run outcomes
 * from the run summaries, executed steps' durations from their run records, and each
 * step's tracked metrics from the outbox segment of the run that produced its latest
 * outputs (or its latest failed attempt). Reads only; no run needs to be in progress.
 */
import { existsSync } from 'node:fs';
import type { Records, RunSummary } from '../records.ts';
import { readSegment, segmentPath } from '../tracking/outbox.ts';
import { decodeMetricValue } from '../tracking/outbox-records.ts';
import { TAG } from '../tracking/backend.ts';

export interface StepMetricValue {
  key: string;
  value: number;
}

export interface StepState {
  step: string;
  /** Plugin name, where tracking recorded it. */
  plugin?: string;
  /** Status count over the kept history: executed, cached, failed, skipped. */
  statuses: Record<string, number>;
  /** Seconds each execution took. */
  durations: number[];
  /** When a run last finished with this step executed or cached (epoch seconds). */
  lastSuccess?: number;
  /** The latest value of each metric the step tracked in the run behind its latest outputs. */
  metrics: StepMetricValue[];
}

export interface PipelineState {
  pipeline: string;
  /** Newest first. */
  runs: RunSummary[];
  steps: StepState[];
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** The plugin and the latest metric values of one step run in one outbox segment. */
function trackedStep(storeDir: string, runId: string, stepId: string): { plugin?: string; metrics: StepMetricValue[] } {
  const path = segmentPath(storeDir, runId);
  if (!existsSync(path)) return { metrics: [] };
  const localId = `${runId}:${stepId}`;
  let plugin: string | undefined;
  const latest = new Map<string, { value: number; step: number; t: number }>();
  for (const { record } of readSegment(path).records) {
    if (record.run !== localId) continue;
    if (record.op === 'run') plugin = record.tags[TAG.plugin];
    if (record.op !== 'metric') continue;
    const known = latest.get(record.key);
    if (!known || record.step > known.step || (record.step === known.step && record.t >= known.t)) latest.set(record.key, { value: decodeMetricValue(record.value), step: record.step, t: record.t });
  }
  return { plugin, metrics: [...latest].map(([key, { value }]) => ({ key, value })) };
}

export function readHistory(records: Records, storeDir: string): PipelineState[] {
  const byPipeline = new Map<string, RunSummary[]>();
  for (const run of records.runs()) {
    const list = byPipeline.get(run.pipeline);
    if (list) list.push(run);
    else byPipeline.set(run.pipeline, [run]);
  }
  const out: PipelineState[] = [];
  for (const [pipeline, runs] of [...byPipeline].sort(([a], [b]) => a.localeCompare(b))) {
    const steps = new Map<string, StepState>();
    const state = (id: string): StepState => {
      let s = steps.get(id);
      if (!s) steps.set(id, (s = { step: id, statuses: {}, durations: [], metrics: [] }));
      return s;
    };
    const tracked = new Set<string>();
    for (const run of runs) {
      for (const step of run.steps) {
        const s = state(step.id);
        s.statuses[step.status] = (s.statuses[step.status] ?? 0) + 1;
        const record = step.key ? records.read(step.key) : undefined;
        if (step.status === 'executed' && record?.runId === run.runId) s.durations.push(record.durationMs / 1000);
        if ((step.status === 'executed' || step.status === 'cached') && s.lastSuccess === undefined) s.lastSuccess = seconds(run.finishedAt);
        // Newest first: the first run that executed the step, or whose cached outputs name their producer, decides its metrics.
        if (tracked.has(step.id)) continue;
        const producer = step.status === 'executed' || step.status === 'failed' ? run.runId : step.status === 'cached' ? record?.runId : undefined;
        if (!producer) continue;
        tracked.add(step.id);
        const { plugin, metrics } = trackedStep(storeDir, producer, step.id);
        s.plugin = plugin;
        s.metrics = metrics;
      }
    }
    out.push({ pipeline, runs, steps: [...steps.values()].sort((a, b) => a.step.localeCompare(b.step)) });
  }
  return out;
}
