/**
 * For the tests that run a real `bin/tradepipe run` against an MLflow server and read the result
 * back: a small pipeline in a git-committed temp project, and MLflow's REST API 2.0 through plain
 * fetch (deliberately not engine/tracking/client.ts, so the engine's client is not checking itself).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import type { RunResult } from '../../engine/executor.ts';
import { project, type Project } from '../helpers/project.ts';

export const PIPELINE_FILE = 'pipelines.d/e2e.yaml';

const PLUGINS = join(import.meta.dirname, '..', 'fixtures');

/**
 * raw -> double (exec, files), base (add) -> fit (logs a loss curve, a tag and curve.csv).
 * `fit` starts from base's value 4: its losses are 4, 2, 1, 0.5, ...
 */
export function pipelineYaml(name: string): string {
  return `pipeline: ${name}
plugins:
  add: ${JSON.stringify(join(PLUGINS, 'engine/plugins/add.ts'))}
  fit: ${JSON.stringify(join(PLUGINS, 'tracking/fit-curve.ts'))}
steps:
  raw:
    uses: exec
    with: { cmd: mkdir -p out && echo 3 > out/raw.txt, outs: [out/raw.txt] }
  double:
    uses: exec
    with: { cmd: "awk '{print $1*2}' out/raw.txt > out/double.txt", deps: [out/raw.txt], outs: [out/double.txt] }
  base:
    uses: add
    with: { amount: 4 }
  fit:
    uses: fit
    needs: [double]
    inputs: { start: base.value }
    with: { epochs: 5, optimizer: { name: adam, lr: 0.01 }, layers: [64, 32] }
`;
}

export interface TrackedProject extends Project {
  /** HEAD of the project's git repository. */
  commit: string;
  /** `run --json` (or `run --dry-run --json`) with tracking to `uri`; fails the test on a non-zero exit. */
  runTracked<T = RunResult>(uri: string, args?: string[], env?: Record<string, string>): Promise<{ result: T; stderr: string }>;
}

/** A temp project holding the pipeline, committed to a fresh git repository (runs are tagged with the commit). */
export async function trackedProject(pipelineName: string): Promise<TrackedProject> {
  const p = project({ [PIPELINE_FILE]: pipelineYaml(pipelineName), 'README.md': 'test project\n' });
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: p.dir });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'pipeline');
  const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
  return {
    ...p,
    commit,
    async runTracked<T>(uri: string, args: string[] = [], env: Record<string, string> = {}) {
      // An MLFLOW_EXPERIMENT_NAME inherited from the shell would move the runs.
      const r = await p.run(['run', PIPELINE_FILE, '--json', ...args], { env: { MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: '', ...env } });
      if (r.code !== 0) throw new Error(`tradepipe run ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      return { result: JSON.parse(r.stdout) as T, stderr: r.stderr };
    },
  };
}

/** The cache key of every step, as planned now (`run --dry-run --json`). */
export async function cacheKeys(p: TrackedProject, uri: string, args: string[] = []): Promise<Record<string, string>> {
  const { result } = await p.runTracked<{ steps: { id: string; key: string }[] }>(uri, ['--dry-run', ...args]);
  return Object.fromEntries(result.steps.map((s) => [s.id, s.key]));
}

export interface RestRun {
  info: { run_id: string; run_name: string; status: string; start_time: number; end_time: number; artifact_uri: string; experiment_id: string };
  data: { tags?: { key: string; value: string }[]; params?: { key: string; value: string }[]; metrics?: { key: string; value: number; step: number }[] };
}

export const tagsOf = (run: RestRun): Record<string, string> => Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
export const paramsOf = (run: RestRun): Record<string, string> => Object.fromEntries((run.data.params ?? []).map((t) => [t.key, t.value]));

/** MLflow's REST API 2.0, just what the tests read. */
export function mlflowRest(uri: string) {
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${uri}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
  const get = <T>(path: string, query: Record<string, string>) => call<T>(`/api/2.0/mlflow/${path}?${new URLSearchParams(query)}`);

  return {
    async experimentId(name: string): Promise<string> {
      return (await get<{ experiment: { experiment_id: string } }>('experiments/get-by-name', { experiment_name: name })).experiment.experiment_id;
    },
    async runs(experimentId: string): Promise<RestRun[]> {
      const body = JSON.stringify({ experiment_ids: [experimentId], max_results: 1000 });
      return (await call<{ runs?: RestRun[] }>('/api/2.0/mlflow/runs/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).runs ?? [];
    },
    async metricHistory(runId: string, key: string): Promise<[step: number, value: number][]> {
      const { metrics = [] } = await get<{ metrics?: { step: number; value: number }[] }>('metrics/get-history', { run_id: runId, metric_key: key });
      return metrics.map((m): [number, number] => [m.step, m.value]).sort((a, b) => a[0] - b[0]);
    },
    async artifacts(runId: string): Promise<{ path: string; is_dir: boolean; file_size?: number }[]> {
      return (await get<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>('artifacts/list', { run_id: runId })).files ?? [];
    },
    /** A file of a run's artifacts, through the server's artifact proxy (`mlflow-artifacts:/<exp>/<run>/artifacts`). */
    async artifactText(run: RestRun, path: string): Promise<string> {
      const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
      const response = await fetch(`${uri}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`);
      if (!response.ok) throw new Error(`artifact ${path} of run ${run.info.run_id}: HTTP ${response.status}`);
      return response.text();
    },
  };
}

/** The runs of one pipeline run: its parent run and its child runs by step id. */
export function pipelineRun(runs: RestRun[], localRunId: string): { parent: RestRun; steps: Record<string, RestRun> } {
  const parent = runs.find((r) => tagsOf(r)['tradepipe.local_run_id'] === localRunId);
  if (!parent) throw new Error(`no run tagged tradepipe.local_run_id=${localRunId}`);
  const children = runs.filter((r) => tagsOf(r)['mlflow.parentRunId'] === parent.info.run_id);
  return { parent, steps: Object.fromEntries(children.map((r) => [tagsOf(r)['tradepipe.step_id'] ?? '', r])) };
}
