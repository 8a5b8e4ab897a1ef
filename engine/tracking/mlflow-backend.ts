/** The tracking backend for an MLflow server, through `MlflowClient`. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type MlflowClient, proxyPath, type MlflowMetric, type MlflowRun } from './client.ts';
import { MlflowError } from './mlflow-error.ts';
import { TAG, type ArtifactEntry, type MetricPoint, type RunQuery, type RunRef, type RunView, type TrackingBackend } from './backend.ts';
import { decodeMetricValue, encodeMetricValue, type MetricValue, type RunStatus } from './outbox-records.ts';

const toPoint = (m: MlflowMetric): MetricPoint => ({ value: decodeMetricValue(m.value as MetricValue), step: Number(m.step ?? 0), timestamp: Number(m.timestamp) });

export function runView(run: MlflowRun): RunView {
  const entries = (list: { key: string; value: string }[] | undefined): Record<string, string> =>
    Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));
  return {
    runId: run.info.run_id,
    experimentId: run.info.experiment_id,
    name: run.info.run_name ?? '',
    status: run.info.status === 'SCHEDULED' ? 'SCHEDULED' : (run.info.status as RunStatus),
    startTime: Number(run.info.start_time),
    endTime: run.info.end_time === undefined ? undefined : Number(run.info.end_time),
    artifactUri: run.info.artifact_uri,
    params: entries(run.data.params),
    tags: entries(run.data.tags),
    metrics: Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, toPoint(m)])),
  };
}

/** Single-quoted MLflow filter literal; our values never need escaping, so refuse those that would. */
function literal(value: string): string {
  if (/['\\]/.test(value)) throw new Error(`cannot search MLflow for a value containing a quote or backslash: ${value}`);
  return `'${value}'`;
}

export function tagFilter(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `tags.\`${k}\` = ${literal(v)}`)
    .join(' and ');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/')).sort();
}

export function mlflowBackend(client: MlflowClient): TrackingBackend {
  // Not cached: a server that was wiped and restarted must not get stale experiment ids.
  const ensureExperiment = async (name: string): Promise<string> => {
    const existing = await client.getExperimentByName(name);
    if (existing) return existing.experiment_id;
    try {
      return await client.createExperiment(name);
    } catch (err) {
      // Another process created it between our lookup and create.
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      const created = await client.getExperimentByName(name);
      if (!created) throw err;
      return created.experiment_id;
    }
  };

  const listExperiments = async (): Promise<{ id: string; name: string }[]> => {
    const out: { id: string; name: string }[] = [];
    let token: string | undefined;
    do {
      const page = await client.searchExperiments({ page_token: token });
      out.push(...page.experiments.map((e) => ({ id: e.experiment_id, name: e.name })));
      token = page.next_page_token || undefined;
    } while (token);
    return out;
  };

  const searchRuns = async (query: RunQuery): Promise<RunView[]> => {
    const ids = query.experimentIds ?? (await listExperiments()).map((e) => e.id);
    if (ids.length === 0) return [];
    const limit = query.limit ?? Infinity;
    const runs: RunView[] = [];
    let token: string | undefined;
    do {
      const page = await client.searchRuns({
        experiment_ids: ids,
        filter: query.tags ? tagFilter(query.tags) : undefined,
        max_results: Math.min(1000, limit - runs.length),
        order_by: ['attributes.start_time DESC'],
        page_token: token,
      });
      for (const run of page.runs.map(runView)) if (!query.topLevel || !run.tags[TAG.parentRunId]) runs.push(run);
      token = page.next_page_token || undefined;
    } while (token && runs.length < limit);
    return runs;
  };

  return {
    kind: 'mlflow',
    targetKey: 'mlflow-' + createHash('sha256').update(client.displayUri).digest('hex').slice(0, 16),
    description: client.displayUri,
    // Round trips dominate: a few in flight. More gain nothing on a SQLite-backed server (8 were slower than 4 there).
    concurrency: 4,
    ensureExperiment,

    async findRunByLocalId(experimentId, localRunId) {
      const [run] = await searchRuns({ experimentIds: [experimentId], tags: { [TAG.localRunId]: localRunId }, limit: 1 });
      return run && { runId: run.runId, artifactUri: run.artifactUri };
    },

    async listChildRuns(experimentId, parentRunId) {
      const children = await searchRuns({ experimentIds: [experimentId], tags: { [TAG.parentRunId]: parentRunId } });
      const out = new Map<string, RunRef>();
      for (const run of children) {
        const localId = run.tags[TAG.localRunId];
        if (localId) out.set(localId, { runId: run.runId, artifactUri: run.artifactUri });
      }
      return out;
    },

    async createRun({ experimentId, name, startTime, tags, ended }) {
      const run = await client.createRun({
        experiment_id: experimentId,
        start_time: startTime,
        run_name: name,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      });
      // MLflow creates every run RUNNING: one more request ends it.
      if (ended) await client.updateRun({ run_id: run.info.run_id, status: ended.status, end_time: ended.end });
      return { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
    },

    async logBatch(runId, batch) {
      await client.logBatch({
        run_id: runId,
        metrics: batch.metrics.map((m) => ({ key: m.key, value: encodeMetricValue(m.value), timestamp: m.timestamp, step: m.step })),
        params: batch.params.map(([key, value]) => ({ key, value })),
        tags: batch.tags.map(([key, value]) => ({ key, value })),
      });
    },

    async updateRun(runId, status, endTime) {
      await client.updateRun({ run_id: runId, status, end_time: endTime });
    },

    async uploadArtifact(run: RunRef, artifactPath: string, localPath: string) {
      const root = `${proxyPath(run.artifactUri)}/${artifactPath}`;
      if (!(await stat(localPath)).isDirectory()) {
        await client.putArtifact(root, await readFile(localPath));
        return;
      }
      for (const file of await filesUnder(localPath)) await client.putArtifact(`${root}/${file}`, await readFile(join(localPath, file)));
    },

    async flush() {
      // Every request is acknowledged by the server once it is stored.
    },

    listExperiments,
    searchRuns,

    async getRun(runId) {
      try {
        return runView(await client.getRun(runId));
      } catch (err) {
        if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
        throw err;
      }
    },

    async metricHistory(runId, key) {
      return (await client.getMetricHistory(runId, key)).map(toPoint);
    },

    async listArtifacts(run: RunRef, path = ''): Promise<ArtifactEntry[]> {
      const base = proxyPath(run.artifactUri);
      const files = await client.listArtifacts(path ? `${base}/${path}` : base);
      return files.map((f) => ({ path: path ? `${path}/${f.path}` : f.path, isDir: f.is_dir, bytes: f.file_size === undefined ? undefined : Number(f.file_size) }));
    },

    async downloadArtifacts(artifactUri, dest) {
      const walk = async (proxyDir: string, into: string): Promise<void> => {
        await mkdir(into, { recursive: true });
        for (const f of await client.listArtifacts(proxyDir)) {
          const name = f.path.split('/').at(-1) ?? f.path;
          if (f.is_dir) await walk(`${proxyDir}/${name}`, join(into, name));
          else await writeFile(join(into, name), await client.getArtifact(`${proxyDir}/${name}`));
        }
      };
      const root = proxyPath(artifactUri);
      // Listing a file's path yields nothing: then the URI names a single file.
      if ((await client.listArtifacts(root)).length > 0) return walk(root, dest);
      await mkdir(join(dest, '..'), { recursive: true });
      await writeFile(dest, await client.getArtifact(root));
    },
  };
}
