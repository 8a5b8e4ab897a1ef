/**
 * A project's pipelines and steps as Prometheus metrics, read from its history at each
 * scrape (see history.ts). Engine metrics say how pipelines and steps run; each step's
 * tracked metrics become the gauge `tradepipe_<plugin>_<name>` with the labels the key
 * carries (see labels.ts). The engine does not know what those metrics mean.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Records } from '../records.ts';
import { readHistory, type PipelineState } from './history.ts';
import { parseLabelledMetric } from './labels.ts';
import type { MetricsSource } from './registry.ts';

/** Step durations in seconds: from sub-second cached-key checks to multi-hour training. */
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400];

const RUN_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;

/** A Prometheus metric or label name from free text: `Sharpe ratio` -> `sharpe_ratio`. */
function promName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(name) ? `_${name}` : name || '_';
}

/** Labels the engine sets on every step metric; a plugin's own label of that name is renamed. */
const ENGINE_LABELS = ['pipeline', 'step'];

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Step-tracked metrics by family name, with the plugin that tracked them. */
function stepFamilies(pipelines: readonly PipelineState[]): Map<string, { plugin: string; metric: string; samples: Sample[] }> {
  const families = new Map<string, { plugin: string; metric: string; samples: Sample[] }>();
  for (const p of pipelines) {
    for (const s of p.steps) {
      if (!s.plugin) continue;
      for (const { key, value } of s.metrics) {
        const { name, labels } = parseLabelledMetric(key);
        const family = `tradepipe_${promName(s.plugin)}_${promName(name)}`;
        const own = Object.fromEntries(Object.entries(labels).map(([k, v]) => [ENGINE_LABELS.includes(promName(k)) ? `metric_${promName(k)}` : promName(k), v]));
        let f = families.get(family);
        if (!f) families.set(family, (f = { plugin: s.plugin, metric: name, samples: [] }));
        f.samples.push({ labels: { pipeline: p.pipeline, step: s.step, ...own }, value });
      }
    }
  }
  return families;
}

/**
 * Registers the project's metrics on `registry` and returns the source that refreshes them
 * from `records` (and the tracking outbox under `storeDir`) before each exposition; with
 * `pipeline` (a project-relative file), that pipeline's only.
 */
export function projectMetrics(registry: Registry, records: Records, storeDir: string, onlyPipeline?: string): MetricsSource {
  const registers = [registry];
  const runs = new Counter({ name: 'tradepipe_pipeline_runs_total', help: 'Pipeline runs in the kept history, by outcome.', labelNames: ['pipeline', 'status'], registers });
  const lastRun = new Gauge({ name: 'tradepipe_pipeline_last_run_timestamp_seconds', help: 'When the latest run of the pipeline finished.', labelNames: ['pipeline'], registers });
  const lastStatus = new Gauge({ name: 'tradepipe_pipeline_last_run_status', help: 'Outcome of the latest run: 1 for its status, 0 for the others.', labelNames: ['pipeline', 'status'], registers });
  const lastDuration = new Gauge({ name: 'tradepipe_pipeline_last_run_duration_seconds', help: 'How long the latest run of the pipeline took.', labelNames: ['pipeline'], registers });
  const lastSuccess = new Gauge({ name: 'tradepipe_pipeline_last_success_timestamp_seconds', help: 'When a run of the pipeline last succeeded.', labelNames: ['pipeline'], registers });
  const stepRuns = new Counter({ name: 'tradepipe_step_runs_total', help: 'Step outcomes in the kept history: executed, cached, failed, skipped.', labelNames: ['pipeline', 'step', 'status'], registers });
  const cacheHits = new Counter({ name: 'tradepipe_step_cache_hits_total', help: 'Runs in which the step came from the cache.', labelNames: ['pipeline', 'step'], registers });
  const durations = new Histogram({ name: 'tradepipe_step_duration_seconds', help: 'How long executions of the step took.', labelNames: ['pipeline', 'step'], buckets: DURATION_BUCKETS, registers });
  const stepSuccess = new Gauge({ name: 'tradepipe_step_last_success_timestamp_seconds', help: 'When a run last finished with the step executed or cached.', labelNames: ['pipeline', 'step'], registers });
  const fixed = [runs, lastRun, lastStatus, lastDuration, lastSuccess, stepRuns, cacheHits, durations, stepSuccess];
  let dynamic = new Map<string, { gauge: Gauge; labelNames: string[] }>();

  const refreshStepFamilies = (pipelines: readonly PipelineState[]): void => {
    const next = new Map<string, { gauge: Gauge; labelNames: string[] }>();
    for (const [name, { plugin, metric, samples }] of stepFamilies(pipelines)) {
      const labelNames = [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
      const known = dynamic.get(name);
      let gauge = known?.gauge;
      if (known && known.labelNames.join() !== labelNames.join()) {
        registry.removeSingleMetric(name);
        gauge = undefined;
      }
      // A name someone else registered on the shared registry (e.g. the scheduler) wins.
      if (!gauge && registry.getSingleMetric(name)) continue;
      gauge ??= new Gauge({ name, help: `\`${metric}\` as tracked by ${plugin} steps, from the run behind each step's latest outputs.`, labelNames, registers });
      gauge.reset();
      // A label a sample lacks stays out of its series (Prometheus treats empty and absent alike).
      for (const s of samples) gauge.set(Object.fromEntries(labelNames.filter((l) => l in s.labels).map((l) => [l, s.labels[l]!])), s.value);
      next.set(name, { gauge, labelNames });
    }
    for (const name of dynamic.keys()) if (!next.has(name)) registry.removeSingleMetric(name);
    dynamic = next;
  };

  return {
    async refresh() {
      const pipelines = readHistory(records, storeDir).filter((p) => onlyPipeline === undefined || p.pipeline === onlyPipeline);
      for (const m of fixed) m.reset();
      for (const p of pipelines) {
        const pipeline = p.pipeline;
        const latest = p.runs[0]!;
        for (const status of RUN_STATUSES) {
          runs.inc({ pipeline, status }, p.runs.filter((r) => r.status === status).length);
          lastStatus.set({ pipeline, status }, latest.status === status ? 1 : 0);
        }
        lastRun.set({ pipeline }, Date.parse(latest.finishedAt) / 1000);
        lastDuration.set({ pipeline }, (Date.parse(latest.finishedAt) - Date.parse(latest.startedAt)) / 1000);
        const success = p.runs.find((r) => r.status === 'succeeded');
        if (success) lastSuccess.set({ pipeline }, Date.parse(success.finishedAt) / 1000);
        for (const s of p.steps) {
          const step = s.step;
          for (const [status, n] of Object.entries(s.statuses)) stepRuns.inc({ pipeline, step, status }, n);
          cacheHits.inc({ pipeline, step }, s.statuses.cached ?? 0);
          for (const d of s.durations) durations.observe({ pipeline, step }, d);
          if (s.lastSuccess !== undefined) stepSuccess.set({ pipeline, step }, s.lastSuccess);
        }
      }
      refreshStepFamilies(pipelines);
    },
  };
}
