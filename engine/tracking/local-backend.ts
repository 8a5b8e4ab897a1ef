/**
 * The embedded tracking store, used when no MLFLOW_TRACKING_URI is set. Under
 * `<storeDir>/tracking/local/`:
 *
 *   experiments.json        [{ id, name }]
 *   groups/<group>.head.jsonl  append-only log of the run events (create, params/tags,
 *   groups/<group>.jsonl       update) of one pipeline run, and of its step runs
 *   metrics/<runId>.jsonl   the metric points of one run
 *   artifacts/<runId>/      uploaded artifacts
 *
 * A run id is its group (16 hex digits) followed by 16 random ones, so a run is found
 * from its id without an index. A group is named after a hash of its pipeline run's
 * local id (`tradepipe.local_run_id` up to the first `:`), so a run is also found from
 * its local id by reading one group; `runs list` reads only the heads. Writes are kept
 * in memory until `flush()`, which
 * the shipper calls before it records progress: one append and one fdatasync per file
 * per batch instead of an atomic rewrite per run. It keeps MLflow's semantics where
 * they matter: params are immutable, re-sent identical metric points count once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MlflowError } from './mlflow-error.ts';
import { latestPoint, TAG, type ArtifactEntry, type MetricPoint, type RunQuery, type RunRef, type RunView, type TrackingBackend } from './backend.ts';
import { appendLines, parseJsonLines, readJson, readLog, withFileLock, writeJsonAtomic } from './files.ts';
import type { RunStatus } from './outbox-records.ts';

type StoredRun = Omit<RunView, 'metrics'>;
type StoredMetric = MetricPoint & { key: string };

type GroupEvent =
  /** `status` and `end` on a run created already over (a cached step): one event instead of a create and an update. */
  | { op: 'create'; run: string; experiment: string; name: string; start: number; tags: Record<string, string>; status?: RunStatus; end?: number }
  | { op: 'log'; run: string; params: Record<string, string>; tags: Record<string, string> }
  | { op: 'update'; run: string; status: RunStatus; end: number };

/** Where a run's events go: `head` for a run without a parent (the pipeline run), `body` for its step runs. */
type Part = 'head' | 'body';
const PARTS: Part[] = ['head', 'body'];

interface Group {
  paths: Record<Part, string>;
  runs: Map<string, StoredRun>;
  byLocalId: Map<string, string>;
  /** Size of each log as this process last read or wrote it: another size means another process wrote. */
  bytes: Record<Part, number>;
  unflushed: Record<Part, GroupEvent[]>;
}

export function localStoreDir(storeDir: string): string {
  return join(storeDir, 'tracking', 'local');
}

const RUN_ID = /^[0-9a-f]{32}$/;
const SUFFIX: Record<Part, string> = { head: '.head.jsonl', body: '.jsonl' };

let randomPool = '';
/** 16 random hex digits, drawn from a pool refilled 256 at a time: one randomBytes call per run cost more than the rest of creating it. */
function random16(): string {
  if (randomPool.length < 16) randomPool = randomBytes(2048).toString('hex');
  const out = randomPool.slice(0, 16);
  randomPool = randomPool.slice(16);
  return out;
}

const notFound = (runId: string): MlflowError => new MlflowError(`run ${runId} not found in the local store`, 'RESOURCE_DOES_NOT_EXIST', 404);

/** The group of a pipeline run and its steps, from any of their local run ids. */
function groupOfLocalId(localRunId: string): string {
  return createHash('sha256').update(localRunId.split(':')[0]!).digest('hex').slice(0, 16);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export function localBackend(storeDir: string): TrackingBackend {
  return new LocalBackend(storeDir);
}

/** The run groups' event logs, folded into runs; writes wait in memory until `flush`. */
class RunGroups {
  private readonly groups = new Map<string, Group>();
  private readonly loading = new Map<string, Promise<Group>>();

  constructor(
    private readonly groupsDir: string,
    private readonly artifactUriOf: (runId: string) => string,
  ) {}

  has(id: string): boolean {
    return this.groups.has(id);
  }

  knownIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  /** Folds a group's logs; with `parts` = ['head'], only its pipeline run. */
  async read(id: string, parts: Part[], unflushed: Record<Part, GroupEvent[]> = { head: [], body: [] }): Promise<Group> {
    const paths = this.pathsOf(id);
    const group: Group = { paths, runs: new Map(), byLocalId: new Map(), bytes: { head: 0, body: 0 }, unflushed };
    for (const part of parts) {
      const text = await readLog(paths[part]);
      group.bytes[part] = Buffer.byteLength(text);
      for (const e of parseJsonLines<GroupEvent>(text)) this.apply(group, e);
    }
    for (const part of PARTS) for (const e of unflushed[part]) this.apply(group, e);
    return group;
  }

  /** A group as this process knows it; `fresh` first rereads it if another process wrote to it. Concurrent callers share one read. */
  async group(id: string, fresh: boolean): Promise<Group> {
    const known = this.groups.get(id);
    if (known && (!fresh || ((await fileSize(known.paths.head)) === known.bytes.head && (await fileSize(known.paths.body)) === known.bytes.body))) return known;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.read(id, PARTS, known?.unflushed)
        .then((g) => {
          this.groups.set(id, g);
          return g;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Records an event in the group as it is now (a reread may have replaced the object a caller saw). */
  emit(groupId: string, e: GroupEvent): void {
    const g = this.groups.get(groupId)!;
    const parent = e.op === 'create' ? e.tags[TAG.parentRunId] : g.runs.get(e.run)?.tags[TAG.parentRunId];
    g.unflushed[parent ? 'body' : 'head'].push(e);
    this.apply(g, e);
  }

  /** A run about to be written to; missing (another process created it, or the store was wiped) after one reread is RESOURCE_DOES_NOT_EXIST. */
  async writable(runId: string): Promise<StoredRun> {
    const known = this.groups.get(runId.slice(0, 16))?.runs.get(runId);
    if (known) return known;
    if (!RUN_ID.test(runId)) throw notFound(runId);
    for (const fresh of [false, true]) {
      const run = (await this.group(runId.slice(0, 16), fresh)).runs.get(runId);
      if (run) return run;
    }
    throw notFound(runId);
  }

  async flush(): Promise<void> {
    for (const [id, g] of this.groups) {
      if (PARTS.some((part) => g.bytes[part] > 0 && !existsSync(g.paths[part]))) {
        // The store was wiped under us: what we hold refers to runs that are gone.
        this.groups.delete(id);
        throw new MlflowError(`the local store lost the runs of group ${id}`, 'RESOURCE_DOES_NOT_EXIST', 404);
      }
      for (const part of PARTS) {
        const events = g.unflushed[part];
        if (events.length === 0) continue;
        g.unflushed[part] = [];
        try {
          g.bytes[part] += await appendLines(g.paths[part], events.map((e) => JSON.stringify(e)).join('\n') + '\n');
        } catch (err) {
          g.unflushed[part] = [...events, ...g.unflushed[part]];
          throw err;
        }
      }
    }
  }

  private pathsOf(id: string): Record<Part, string> {
    return { head: join(this.groupsDir, id + SUFFIX.head), body: join(this.groupsDir, id + SUFFIX.body) };
  }

  private apply(group: Group, e: GroupEvent): void {
    if (e.op === 'create') {
      if (group.runs.has(e.run)) return;
      // The event's tags object is shared, never changed: `log` replaces it (thousands of runs, one copy each).
      group.runs.set(e.run, {
        runId: e.run,
        experimentId: e.experiment,
        name: e.name,
        status: e.status ?? 'RUNNING',
        startTime: e.start,
        ...(e.end === undefined ? {} : { endTime: e.end }),
        artifactUri: this.artifactUriOf(e.run),
        params: {},
        tags: e.tags,
      });
      const localId = e.tags[TAG.localRunId];
      if (localId) group.byLocalId.set(localId, e.run);
      return;
    }
    const run = group.runs.get(e.run);
    if (!run) return;
    if (e.op === 'log') {
      Object.assign(run.params, e.params);
      run.tags = { ...run.tags, ...e.tags };
    } else {
      run.status = e.status;
      run.endTime = e.end;
    }
  }
}

class LocalBackend implements TrackingBackend {
  readonly kind = 'local';
  readonly targetKey = 'local';
  readonly description: string;
  // Writes go to memory until flush(): nothing to overlap.
  readonly concurrency = 1;
  private readonly root: string;
  private readonly experimentsFile: string;
  private readonly groupsDir: string;
  private readonly artifactsUri: string;
  private readonly groups: RunGroups;
  private readonly unflushedMetrics = new Map<string, string[]>();
  private experiments: { id: string; name: string }[] | undefined;

  constructor(storeDir: string) {
    this.root = localStoreDir(storeDir);
    this.description = `local store ${this.root}`;
    this.experimentsFile = join(this.root, 'experiments.json');
    this.groupsDir = join(this.root, 'groups');
    this.artifactsUri = pathToFileURL(join(this.root, 'artifacts')).href;
    this.groups = new RunGroups(this.groupsDir, (runId) => this.artifactUriOf(runId));
  }

  async ensureExperiment(name: string): Promise<string> {
    const known = (this.experiments ?? (await this.listExperiments())).find((e) => e.name === name);
    if (known) return known.id;
    return withFileLock(this.experimentsFile, async () => {
      const all = await this.listExperiments();
      const existing = all.find((e) => e.name === name);
      if (existing) return existing.id;
      const id = String(all.length);
      this.experiments = [...all, { id, name }];
      await writeJsonAtomic(this.experimentsFile, this.experiments);
      return id;
    });
  }

  async findRunByLocalId(experimentId: string, localRunId: string): Promise<RunRef | undefined> {
    const g = await this.groups.group(groupOfLocalId(localRunId), true);
    const run = g.runs.get(g.byLocalId.get(localRunId) ?? '');
    return run && run.experimentId === experimentId ? { runId: run.runId, artifactUri: run.artifactUri } : undefined;
  }

  async listChildRuns(experimentId: string, parentRunId: string): Promise<Map<string, RunRef>> {
    const out = new Map<string, RunRef>();
    if (!RUN_ID.test(parentRunId)) return out;
    for (const run of (await this.groups.group(parentRunId.slice(0, 16), true)).runs.values()) {
      const localId = run.tags[TAG.localRunId];
      if (localId && run.experimentId === experimentId && run.tags[TAG.parentRunId] === parentRunId) out.set(localId, { runId: run.runId, artifactUri: run.artifactUri });
    }
    return out;
  }

  async createRun({ experimentId, name, startTime, tags, ended }: Parameters<TrackingBackend['createRun']>[0]): Promise<RunRef> {
    const parent = tags[TAG.parentRunId];
    const localId = tags[TAG.localRunId];
    // A step run joins its pipeline run's group; a run tradepipe did not make gets a group of its own.
    const groupId = parent && RUN_ID.test(parent) ? parent.slice(0, 16) : localId ? groupOfLocalId(localId) : random16();
    const runId = groupId + random16();
    if (!this.groups.has(groupId)) await this.groups.group(groupId, false);
    this.groups.emit(groupId, { op: 'create', run: runId, experiment: experimentId, name, start: startTime, tags, ...(ended ? { status: ended.status, end: ended.end } : {}) });
    return { runId, artifactUri: this.artifactUriOf(runId) };
  }

  async logBatch(runId: string, batch: Parameters<TrackingBackend['logBatch']>[1]): Promise<void> {
    const run = await this.groups.writable(runId);
    const changed = batch.params.filter(([k, v]) => k in run.params && run.params[k] !== v);
    if (changed.length > 0) {
      throw new MlflowError(`Changing param values is not allowed: ${changed.map(([k]) => k).join(', ')} (run ${runId})`, 'INVALID_PARAMETER_VALUE', 400);
    }
    if (batch.params.length > 0 || batch.tags.length > 0) {
      this.groups.emit(runId.slice(0, 16), { op: 'log', run: runId, params: Object.fromEntries(batch.params), tags: Object.fromEntries(batch.tags) });
    }
    if (batch.metrics.length > 0) {
      const lines = this.unflushedMetrics.get(runId) ?? [];
      for (const m of batch.metrics) lines.push(JSON.stringify({ key: m.key, value: Number.isFinite(m.value) ? m.value : String(m.value), step: m.step, timestamp: m.timestamp }));
      this.unflushedMetrics.set(runId, lines);
    }
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    await this.groups.writable(runId);
    this.groups.emit(runId.slice(0, 16), { op: 'update', run: runId, status, end: endTime });
  }

  async uploadArtifact(run: RunRef, artifactPath: string, localPath: string): Promise<void> {
    const target = join(fileURLToPath(run.artifactUri), artifactPath);
    await mkdir(join(target, '..'), { recursive: true });
    await cp(localPath, target, { recursive: true, force: true });
  }

  async flush(): Promise<void> {
    await this.groups.flush();
    for (const [runId, lines] of [...this.unflushedMetrics]) {
      await appendLines(this.metricsFile(runId), lines.join('\n') + '\n');
      this.unflushedMetrics.delete(runId);
    }
  }

  async listExperiments(): Promise<{ id: string; name: string }[]> {
    this.experiments = await readJson<{ id: string; name: string }[]>(this.experimentsFile, []);
    return this.experiments;
  }

  async searchRuns(query: RunQuery): Promise<RunView[]> {
    const runs: StoredRun[] = [];
    for (const id of await this.groupsFor(query)) {
      // Top-level runs only: the heads suffice, step runs' logs stay unread.
      const g = query.topLevel && !this.groups.has(id) ? await this.groups.read(id, ['head']) : await this.groups.group(id, true);
      for (const run of g.runs.values()) {
        if (query.topLevel && run.tags[TAG.parentRunId]) continue;
        if (query.experimentIds && !query.experimentIds.includes(run.experimentId)) continue;
        if (query.tags && !Object.entries(query.tags).every(([k, v]) => run.tags[k] === v)) continue;
        runs.push(run);
      }
    }
    runs.sort((a, b) => b.startTime - a.startTime || a.runId.localeCompare(b.runId));
    return Promise.all(runs.slice(0, query.limit ?? runs.length).map((run) => this.view(run)));
  }

  async getRun(runId: string): Promise<RunView | undefined> {
    if (!RUN_ID.test(runId)) return undefined;
    const run = (await this.groups.group(runId.slice(0, 16), true)).runs.get(runId);
    return run && this.view(run);
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return (await this.readMetrics(runId)).filter((m) => m.key === key).map(({ value, step, timestamp }) => ({ value, step, timestamp }));
  }

  async listArtifacts(run: RunRef, path = ''): Promise<ArtifactEntry[]> {
    const dir = join(fileURLToPath(run.artifactUri), path);
    let entries: import('node:fs').Dirent[];
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
  }

  async downloadArtifacts(artifactUri: string, dest: string): Promise<void> {
    await mkdir(join(dest, '..'), { recursive: true });
    await cp(fileURLToPath(artifactUri), dest, { recursive: true });
  }

  private artifactUriOf(runId: string): string {
    return `${this.artifactsUri}/${runId}`;
  }

  private metricsFile(runId: string): string {
    return join(this.root, 'metrics', `${runId}.jsonl`);
  }

  private async readMetrics(runId: string): Promise<StoredMetric[]> {
    const lines = (await readLog(this.metricsFile(runId))).split('\n').concat(this.unflushedMetrics.get(runId) ?? []);
    const seen = new Set<string>();
    const out: StoredMetric[] = [];
    for (const line of lines) {
      if (!line || seen.has(line)) continue;
      seen.add(line);
      const [m] = parseJsonLines<{ key: string; value: number | string; step: number; timestamp: number }>(line);
      if (m) out.push({ key: m.key, value: Number(m.value), step: m.step, timestamp: m.timestamp });
    }
    return out;
  }

  private async view(run: StoredRun): Promise<RunView> {
    const byKey = new Map<string, MetricPoint[]>();
    for (const m of await this.readMetrics(run.runId)) {
      const list = byKey.get(m.key);
      if (list) list.push(m);
      else byKey.set(m.key, [m]);
    }
    const metrics: Record<string, MetricPoint> = {};
    for (const [key, points] of byKey) {
      const p = latestPoint(points);
      if (p) metrics[key] = { value: p.value, step: p.step, timestamp: p.timestamp };
    }
    return { ...run, params: { ...run.params }, tags: { ...run.tags }, metrics };
  }

  /** The groups a query can match: one when it names a parent run or a local run id, else all. */
  private async groupsFor(query: RunQuery): Promise<string[]> {
    const parent = query.tags?.[TAG.parentRunId];
    if (parent !== undefined) return RUN_ID.test(parent) ? [parent.slice(0, 16)] : [];
    const localId = query.tags?.[TAG.localRunId];
    if (localId !== undefined) return [groupOfLocalId(localId)];
    let names: string[] = [];
    try {
      names = await readdir(this.groupsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const ids = names.filter((n) => n.endsWith(SUFFIX.body)).map((n) => n.slice(0, -(n.endsWith(SUFFIX.head) ? SUFFIX.head : SUFFIX.body).length));
    return [...new Set([...ids, ...this.groups.knownIds()])];
  }
}
