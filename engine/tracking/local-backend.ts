/**
 * The embedded tracking store, used when no MLFLOW_TRACKING_URI is set:
 * `<storeDir>/tracking/local/` holds `experiments.json` and one folder per run
 * (`run.json`, `metrics.jsonl`, `artifacts/`). It keeps MLflow's semantics where
 * they matter: params are immutable, re-sent identical metric points count once.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MlflowError } from './client.ts';
import { latestPoint, type ArtifactEntry, type MetricPoint, type RunQuery, type RunView, type TrackingBackend } from './backend.ts';
import { readJson, withFileLock, writeJsonAtomic } from './files.ts';

type StoredRun = Omit<RunView, 'metrics'>;
type StoredMetric = MetricPoint & { key: string };

export function localStoreDir(storeDir: string): string {
  return join(storeDir, 'tracking', 'local');
}

const notFound = (runId: string): MlflowError => new MlflowError(`run ${runId} not found in the local store`, 'RESOURCE_DOES_NOT_EXIST', 404);

export function localBackend(storeDir: string): TrackingBackend {
  const root = localStoreDir(storeDir);
  const experimentsFile = join(root, 'experiments.json');
  const runDir = (runId: string): string => join(root, 'runs', runId);
  const runFile = (runId: string): string => join(runDir(runId), 'run.json');
  const metricsFile = (runId: string): string => join(runDir(runId), 'metrics.jsonl');

  const readRun = (runId: string): Promise<StoredRun | undefined> =>
    /^[0-9a-f]{32}$/.test(runId) ? readJson<StoredRun | undefined>(runFile(runId), undefined) : Promise.resolve(undefined);

  const readMetrics = async (runId: string): Promise<StoredMetric[]> => {
    let text: string;
    try {
      text = await readFile(metricsFile(runId), 'utf8');
    } catch {
      return [];
    }
    const seen = new Set<string>();
    const out: StoredMetric[] = [];
    for (const line of text.split('\n')) {
      if (!line || seen.has(line)) continue;
      seen.add(line);
      const m = JSON.parse(line) as { key: string; value: number | string; step: number; timestamp: number };
      out.push({ ...m, value: Number(m.value) });
    }
    return out;
  };

  const view = async (run: StoredRun): Promise<RunView> => {
    const byKey = new Map<string, MetricPoint[]>();
    for (const m of await readMetrics(run.runId)) {
      const list = byKey.get(m.key);
      if (list) list.push(m);
      else byKey.set(m.key, [m]);
    }
    const metrics: Record<string, MetricPoint> = {};
    for (const [key, points] of byKey) {
      const p = latestPoint(points);
      if (p) metrics[key] = { value: p.value, step: p.step, timestamp: p.timestamp };
    }
    return { ...run, metrics };
  };

  const mustRead = async (runId: string): Promise<StoredRun> => {
    const run = await readRun(runId);
    if (!run) throw notFound(runId);
    return run;
  };

  const listExperiments = (): Promise<{ id: string; name: string }[]> => readJson(experimentsFile, []);

  const searchRuns = async (query: RunQuery): Promise<RunView[]> => {
    let ids: string[];
    try {
      ids = await readdir(join(root, 'runs'));
    } catch {
      return [];
    }
    const runs: StoredRun[] = [];
    for (const id of ids) {
      const run = await readRun(id);
      if (!run) continue;
      if (query.experimentIds && !query.experimentIds.includes(run.experimentId)) continue;
      if (query.tags && !Object.entries(query.tags).every(([k, v]) => run.tags[k] === v)) continue;
      runs.push(run);
    }
    runs.sort((a, b) => b.startTime - a.startTime || a.runId.localeCompare(b.runId));
    return Promise.all(runs.slice(0, query.limit ?? runs.length).map(view));
  };

  return {
    kind: 'local',
    targetKey: 'local',
    description: `local store ${root}`,

    async ensureExperiment(name) {
      const known = (await listExperiments()).find((e) => e.name === name);
      if (known) return known.id;
      return withFileLock(experimentsFile, async () => {
        const all = await listExperiments();
        const existing = all.find((e) => e.name === name);
        if (existing) return existing.id;
        const id = String(all.length);
        await writeJsonAtomic(experimentsFile, [...all, { id, name }]);
        return id;
      });
    },

    async findRunByLocalId(experimentId, localRunId) {
      const [run] = await searchRuns({ experimentIds: [experimentId], tags: { 'tradepipe.local_run_id': localRunId }, limit: 1 });
      return run && { runId: run.runId, artifactUri: run.artifactUri };
    },

    async createRun({ experimentId, name, startTime, tags }) {
      const runId = randomUUID().replace(/-/g, '');
      const artifactUri = pathToFileURL(join(runDir(runId), 'artifacts')).href;
      await mkdir(join(runDir(runId), 'artifacts'), { recursive: true });
      const run: StoredRun = { runId, experimentId, name, status: 'RUNNING', startTime, artifactUri, params: {}, tags: Object.fromEntries(tags) };
      await writeJsonAtomic(runFile(runId), run);
      return { runId, artifactUri };
    },

    async logBatch(runId, batch) {
      const run = await mustRead(runId);
      const changed = batch.params.filter(([k, v]) => k in run.params && run.params[k] !== v);
      if (changed.length > 0) {
        throw new MlflowError(`Changing param values is not allowed: ${changed.map(([k]) => k).join(', ')} (run ${runId})`, 'INVALID_PARAMETER_VALUE', 400);
      }
      if (batch.params.length > 0 || batch.tags.length > 0) {
        await writeJsonAtomic(runFile(runId), { ...run, params: { ...run.params, ...Object.fromEntries(batch.params) }, tags: { ...run.tags, ...Object.fromEntries(batch.tags) } });
      }
      if (batch.metrics.length > 0) {
        const lines = batch.metrics.map((m) => JSON.stringify({ key: m.key, value: Number.isFinite(m.value) ? m.value : String(m.value), step: m.step, timestamp: m.timestamp }));
        await appendFile(metricsFile(runId), lines.join('\n') + '\n');
      }
    },

    async updateRun(runId, status, endTime) {
      await writeJsonAtomic(runFile(runId), { ...(await mustRead(runId)), status, endTime });
    },

    async uploadArtifact(run, artifactPath, localPath) {
      const target = join(fileURLToPath(run.artifactUri), artifactPath);
      await mkdir(join(target, '..'), { recursive: true });
      await cp(localPath, target, { recursive: true, force: true });
    },

    listExperiments,

    searchRuns,

    async getRun(runId) {
      const run = await readRun(runId);
      return run && view(run);
    },

    async metricHistory(runId, key) {
      return (await readMetrics(runId)).filter((m) => m.key === key).map(({ value, step, timestamp }) => ({ value, step, timestamp }));
    },

    async listArtifacts(run, path = '') {
      const dir = join(fileURLToPath(run.artifactUri), path);
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return [];
      }
      const out: ArtifactEntry[] = [];
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const rel = path ? `${path}/${e.name}` : e.name;
        out.push(e.isDirectory() ? { path: rel, isDir: true } : { path: rel, isDir: false, bytes: (await stat(join(dir, e.name))).size });
      }
      return out;
    },

    async downloadArtifacts(artifactUri, dest) {
      await mkdir(join(dest, '..'), { recursive: true });
      await cp(fileURLToPath(artifactUri), dest, { recursive: true });
    },
  };
}
