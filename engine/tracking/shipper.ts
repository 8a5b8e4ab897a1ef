/**
 * Ships outbox segments to a tracking backend, idempotently and in order per run.
 *
 * Records are read in chunks. Within a chunk, each run's records form tasks applied in
 * order (its data records merged into as few log-batch requests as MLflow's limits
 * allow); different runs' tasks run concurrently, a few requests in flight. A step run
 * is created after its pipeline run, a cached step's run after the run that produced
 * its outputs, and the pipeline run ends after everything recorded before its end.
 * After a chunk, the backend makes its writes durable and the ship state
 * (ship-state.ts) records the settled prefix with one append.
 *
 * Resending is harmless: a run is looked up before it is created (the pipeline run by
 * its `tradepipe.local_run_id` tag, its step runs with one listing of the pipeline run's
 * children, skipped for a pipeline run created in this pass), metric points keep their
 * original timestamps (MLflow stores an identical point once), params are re-sent with
 * the same values and tags overwrite themselves.
 */
import { statSync } from 'node:fs';
import { MLFLOW_LIMITS } from './limits.ts';
import { MlflowError } from './mlflow-error.ts';
import { TAG, type Batch, type RunRef, type TrackingBackend } from './backend.ts';
import type { Store } from '../store.ts';
import { storedPath } from './objects.ts';
import { withFileLock } from './files.ts';
import { readSegment, segmentPath } from './outbox.ts';
import { decodeMetricValue, type OutboxRecord, type RecordBody } from './outbox-records.ts';
import { markComplete, readShipState, ShipLog, shipStatePath, type Rejection, type ShipState } from './ship-state.ts';

export interface ShipContext {
  storeDir: string;
  backend: TrackingBackend;
  store: Store;
  /** Give up (leaving the rest pending) once this time (ms since epoch) has passed. */
  deadline: number;
  /** Wait between attempts after a transient failure; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface ShipResult {
  /** Everything written so far is on the target. */
  done: boolean;
  shipped: number;
  pending: number;
  /** Why shipping stopped early: the last error, credentials already masked by the client. */
  error?: string;
  /** New permanent rejections in this pass. */
  rejected: string[];
}

type Entry = { record: OutboxRecord; next: number };
type RunRecord = Extract<RecordBody, { op: 'run' }>;

const isData = (op: OutboxRecord['op']): boolean => op === 'metric' || op === 'params' || op === 'tags';

/** Records applied between two commits of the ship state. */
const CHUNK_RECORDS = 2000;
const CHUNK_BYTES = 4 * 2 ** 20;

/** Splits one run's data records into log-batch requests within MLflow's limits. */
export function toBatches(records: OutboxRecord[]): Batch[] {
  const metrics: Batch['metrics'] = [];
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  for (const r of records) {
    if (r.op === 'metric') metrics.push({ key: r.key, value: decodeMetricValue(r.value), step: r.step, timestamp: r.t });
    else if (r.op === 'params') for (const [k, v] of Object.entries(r.params)) params.set(k, v);
    else if (r.op === 'tags') for (const [k, v] of Object.entries(r.tags)) tags.set(k, v);
  }
  const keyed: ['param' | 'tag', [string, string]][] = [...[...params].map((e) => ['param', e] as ['param', [string, string]]), ...[...tags].map((e) => ['tag', e] as ['tag', [string, string]])];
  const batches: Batch[] = [];
  let m = 0;
  let k = 0;
  while (m < metrics.length || k < keyed.length) {
    const batch: Batch = { metrics: [], params: [], tags: [] };
    const keyedCount = Math.min(MLFLOW_LIMITS.paramsAndTagsPerBatch, keyed.length - k);
    for (const [kind, entry] of keyed.slice(k, k + keyedCount)) (kind === 'param' ? batch.params : batch.tags).push(entry);
    k += keyedCount;
    const metricCount = Math.min(MLFLOW_LIMITS.metricsPerBatch, MLFLOW_LIMITS.entitiesPerBatch - keyedCount, metrics.length - m);
    batch.metrics = metrics.slice(m, m + metricCount);
    m += metricCount;
    batches.push(batch);
  }
  return batches;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const asMlflowError = (err: unknown): MlflowError => (err instanceof MlflowError ? err : new MlflowError(String((err as Error)?.message ?? err), 'CLIENT_ERROR', 400));

type Maybe<T> = T | Promise<T>;

/** Remembers lookups for one pass; a settled answer comes back without a promise, a failure is forgotten. */
function memo<V>(): (key: string, make: () => Promise<V>) => Maybe<V> {
  const settled = new Map<string, V>();
  const pending = new Map<string, Promise<V>>();
  return (key, make) => {
    if (settled.has(key)) return settled.get(key)!;
    let value = pending.get(key);
    if (!value) {
      value = make().then(
        (v) => {
          settled.set(key, v);
          pending.delete(key);
          return v;
        },
        (err: unknown) => {
          pending.delete(key);
          throw err;
        },
      );
      pending.set(key, value);
    }
    return value;
  };
}

/** Ships one segment's unshipped records. Holds a lock so two processes never ship the same segment. */
export async function shipSegment(segmentId: string, ctx: ShipContext): Promise<ShipResult> {
  const statePath = shipStatePath(ctx.storeDir, ctx.backend.targetKey, segmentId);
  return withFileLock(statePath, async () => shipLocked(segmentId, await ShipLog.open(statePath), ctx));
}

/** The next unshipped records, at most a chunk. */
function readChunk(path: string, state: ShipState): Entry[] {
  for (let maxBytes = CHUNK_BYTES; ; maxBytes *= 2) {
    const { records } = readSegment(path, state.offset, maxBytes, CHUNK_RECORDS);
    // A single record larger than the window: read a larger one.
    if (records.length === 0 && (statSync(path, { throwIfNoEntry: false })?.size ?? 0) > state.offset + maxBytes) continue;
    return records.filter((e) => e.record.seq > state.shippedSeq);
  }
}

/**
 * What one pass learns about the target, so that each fact costs one request at most.
 * Answers already known come back without a promise: a cached step's lookups cost no await.
 */
function targetLookups(segmentId: string, log: ShipLog, ctx: ShipContext) {
  const { backend } = ctx;
  const experiments = memo<string>();
  const children = memo<Map<string, RunRef>>();
  const states = memo<ShipState>();
  /** Per pipeline run (segment): its step runs on the target, by local id. */
  const stepRuns = memo<Map<string, RunRef>>();
  const childrenOf = (experiment: string, parentRunId: string): Maybe<Map<string, RunRef>> => children(parentRunId, () => backend.listChildRuns(experiment, parentRunId));
  /** Local ids of the runs this pass created: those have no children on the target yet. */
  const created = new Set<string>();

  const resolve = (localId: string, experiment: string): Maybe<RunRef | undefined> => {
    const known = log.state.runs[localId];
    if (known) return known;
    const colon = localId.indexOf(':');
    const segment = colon < 0 ? localId : localId.slice(0, colon);
    if (segment !== segmentId) {
      const state = states(segment, () => readShipState(ctx.storeDir, backend.targetKey, segment));
      if (state instanceof Promise) return state.then(() => resolve(localId, experiment));
      const recorded = state.runs[localId];
      if (recorded) return recorded;
    }
    // Not recorded: ask the target, once per producing pipeline run.
    const runs = stepRuns(segment, async () => {
      const root = log.state.runs[segment] ?? (await backend.findRunByLocalId(experiment, segment));
      return root ? backend.listChildRuns(experiment, root.runId) : new Map<string, RunRef>();
    });
    return runs instanceof Promise ? runs.then((m) => m.get(localId)) : runs.get(localId);
  };

  return {
    created,
    experimentId: (name: string): Maybe<string> => experiments(name, () => backend.ensureExperiment(name)),
    /** The target's run for a run record, if it was created before (by an earlier pass that did not record it). */
    existing(r: RunRecord, experiment: string): Maybe<RunRef | undefined> {
      const known = log.state.runs[r.run];
      if (known) return known;
      if (!r.parent) return backend.findRunByLocalId(experiment, r.run);
      const parent = log.state.runs[r.parent];
      if (!parent || created.has(r.parent)) return undefined;
      const listed = childrenOf(experiment, parent.runId);
      return listed instanceof Promise ? listed.then((m) => m.get(r.run)) : listed.get(r.run);
    },
    /** The target's run for a step run of any segment (a cached step's producer). */
    resolve,
  };
}

/** Consecutive records of one run, applied in order by one task. */
interface Task {
  run: string;
  steps: { op: OutboxRecord['op']; indices: number[] }[];
  /** Earlier tasks this one waits for: the run's previous task, and others (see planTasks). */
  after: Task[];
  finished: boolean;
  done: Promise<void>;
  finish(): void;
}

/**
 * Cuts a chunk into tasks: one per run, plus a new one where a run must wait for
 * others (its creation waits for its parent's and its producer's; the pipeline run's
 * end waits for everything before it).
 */
function planTasks(entries: Entry[], segmentId: string): Task[] {
  const tasks: Task[] = [];
  const open = new Map<string, Task>();
  const creator = new Map<string, Task>();
  const start = (run: string, after: Task[]): Task => {
    const previous = open.get(run);
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = () => {
        task.finished = true;
        resolve();
      };
    });
    const task: Task = { run, steps: [], after: previous ? [previous, ...after] : after, finished: false, done, finish };
    tasks.push(task);
    open.set(run, task);
    return task;
  };
  entries.forEach(({ record }, i) => {
    let task: Task;
    if (record.op === 'run') {
      const after = [record.parent, record.producedBy].flatMap((id) => (id && creator.has(id) ? [creator.get(id)!] : []));
      task = start(record.run, after);
      creator.set(record.run, task);
    } else if (record.op === 'end' && record.run === segmentId) task = start(record.run, [...tasks]);
    else task = open.get(record.run) ?? start(record.run, []);
    const last = task.steps.at(-1);
    if (isData(record.op) && last && isData(last.op)) last.indices.push(i);
    else task.steps.push({ op: record.op, indices: [i] });
  });
  return tasks;
}

interface ChunkOutcome {
  /** Leading entries applied or rejected for good: they need not be sent again. */
  settled: number;
  applied: number;
  rejections: Rejection[];
  /** Why the chunk stopped early (transient trouble, no access, lost runs). */
  error?: MlflowError;
  timedOut: boolean;
}

async function shipLocked(segmentId: string, log: ShipLog, ctx: ShipContext): Promise<ShipResult> {
  return new SegmentShipment(segmentId, log, ctx).run();
}

/** One locked pass over a segment: chunks applied in order, transient trouble retried with backoff until the deadline. */
class SegmentShipment {
  private readonly path: string;
  private readonly notes: string[] = [];
  private shipped = 0;
  private resetDone = false;
  private backoff: number;
  private lookups: ReturnType<typeof targetLookups>;
  /** This pass shipped the pipeline run's end: the segment is complete once the rest is. */
  private closedNow = false;
  /** The transient failure being retried: a pass that runs out of time reports it. */
  private retrying: MlflowError | undefined;

  constructor(
    private readonly segmentId: string,
    private readonly log: ShipLog,
    private readonly ctx: ShipContext,
  ) {
    this.path = segmentPath(ctx.storeDir, segmentId);
    this.backoff = ctx.backoffMs ?? 250;
    this.lookups = targetLookups(segmentId, log, ctx);
  }

  async run(): Promise<ShipResult> {
    const { ctx, log } = this;
    const { backend } = ctx;
    for (;;) {
      if (Date.now() > ctx.deadline) return this.stopped(this.retrying);
      const entries = readChunk(this.path, log.state);
      if (entries.length === 0) {
        if (log.state.closed && (this.closedNow || this.shipped > 0)) await markComplete(ctx.storeDir, backend.targetKey, this.segmentId);
        return { done: true, shipped: this.shipped, pending: 0, rejected: this.notes };
      }
      const chunk = await this.applyChunk(entries);
      let error = chunk.error;
      try {
        await backend.flush();
        for (const r of chunk.rejections) log.recordRejection(r);
        const last = chunk.settled > 0 ? entries[chunk.settled - 1]! : undefined;
        const closed = entries.slice(0, chunk.settled).some(({ record }) => record.op === 'end' && record.run === this.segmentId);
        if (last || log.dirty) await log.commit(last ? last.record.seq : log.state.shippedSeq, last ? last.next : log.state.offset, closed);
        this.closedNow ||= closed;
        this.shipped += chunk.applied;
        this.notes.push(...chunk.rejections.map((r) => `seq ${r.fromSeq}-${r.toSeq}: ${r.error}`));
      } catch (err) {
        error = asMlflowError(err);
      }
      if (!error) {
        if (chunk.timedOut) return this.stopped(this.retrying);
        this.backoff = ctx.backoffMs ?? 250;
        this.retrying = undefined;
        continue;
      }
      if (error.transient) {
        this.retrying = error;
        const wait = Math.min(this.backoff, ctx.deadline - Date.now());
        if (wait <= 0) return this.stopped(error);
        await sleep(wait);
        this.backoff = Math.min(this.backoff * 2, ctx.maxBackoffMs ?? 5000);
        continue;
      }
      if (error.errorCode === 'RESOURCE_DOES_NOT_EXIST' && !this.resetDone) {
        // The target lost runs we mapped (a wiped server): ship the whole segment again.
        this.resetDone = true;
        log.reset();
        this.lookups = targetLookups(this.segmentId, log, ctx);
        continue;
      }
      return this.stopped(error);
    }
  }

  private stopped(error?: MlflowError): ShipResult {
    const pending = readSegment(this.path, this.log.state.offset).records.filter((e) => e.record.seq > this.log.state.shippedSeq).length;
    return { done: pending === 0, shipped: this.shipped, pending, error: error?.message, rejected: this.notes };
  }

  private runOf(localId: string): RunRef {
    const ref = this.log.state.runs[localId];
    if (!ref) throw new MlflowError(`outbox record for run ${localId} comes before that run's start record`, 'INVALID_OUTBOX', 400);
    return ref;
  }

  private async create(r: RunRecord): Promise<void> {
    const { lookups } = this;
    const id = lookups.experimentId(r.experiment);
    const experimentId = typeof id === 'string' ? id : await id;
    const found = lookups.existing(r, experimentId);
    let ref = found instanceof Promise ? await found : found;
    if (!ref) {
      // The local id tag is what makes a resend find this run instead of creating it again.
      const tags = r.tags;
      tags[TAG.localRunId] = r.run;
      if (r.parent) tags[TAG.parentRunId] = this.runOf(r.parent).runId;
      if (r.producedBy) {
        const resolved = lookups.resolve(r.producedBy, experimentId);
        const producer = resolved instanceof Promise ? await resolved : resolved;
        if (producer) tags[TAG.producedBy] = producer.runId;
      }
      ref = await this.ctx.backend.createRun({ experimentId, name: r.name, startTime: r.start, tags, ...(r.ended ? { ended: r.ended } : {}) });
      lookups.created.add(r.run);
    } else if (r.ended) await this.ctx.backend.updateRun(ref.runId, r.ended.status, r.ended.end);
    if (this.log.state.runs[r.run]?.runId !== ref.runId) this.log.recordRun(r.run, ref);
  }

  private async apply(records: OutboxRecord[]): Promise<void> {
    const { backend, store } = this.ctx;
    const record = records[0]!;
    if (isData(record.op)) {
      const { runId } = this.runOf(record.run);
      for (const batch of toBatches(records)) await backend.logBatch(runId, batch);
    } else if (record.op === 'run') await this.create(record);
    else if (record.op === 'artifact') {
      if (!store.has(record.hash)) throw new MlflowError(`artifact ${record.path} (${record.hash}) is missing from the project's store`, 'ARTIFACT_MISSING', 400);
      await backend.uploadArtifact(this.runOf(record.run), record.path, await storedPath(store, record));
    } else if (record.op === 'end') await backend.updateRun(this.runOf(record.run).runId, record.status, record.end);
  }

  private async applyChunk(entries: Entry[]): Promise<ChunkOutcome> {
    const APPLIED = 1;
    const REJECTED = 2;
    const outcome = new Uint8Array(entries.length);
    const rejected: { last: number; rejection: Rejection }[] = [];
    let error: MlflowError | undefined;
    let timedOut = false;

    const run = async (task: Task): Promise<void> => {
      for (const { indices } of task.steps) {
        if (error) return;
        if (Date.now() > this.ctx.deadline) {
          timedOut = true;
          return;
        }
        try {
          await this.apply(indices.map((i) => entries[i]!.record));
          for (const i of indices) outcome[i] = APPLIED;
        } catch (err) {
          const e = asMlflowError(err);
          if (e.transient || e.unauthorized || (e.errorCode === 'RESOURCE_DOES_NOT_EXIST' && !this.resetDone)) {
            error ??= e;
            return;
          }
          // Refused for good: recorded, and the run's later records still go.
          for (const i of indices) outcome[i] = REJECTED;
          const last = indices.at(-1)!;
          rejected.push({ last, rejection: { fromSeq: entries[indices[0]!]!.record.seq, toSeq: entries[last]!.record.seq, error: e.message } });
        }
      }
    };

    // Workers take tasks in outbox order; a task's prerequisites are earlier tasks, already taken, so none waits forever.
    const tasks = planTasks(entries, this.segmentId);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        const waiting = task.after.filter((t) => !t.finished);
        if (waiting.length > 0) await Promise.all(waiting.map((t) => t.done));
        await run(task);
        task.finish();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.ctx.backend.concurrency) }, worker));

    let settled = 0;
    while (settled < entries.length && outcome[settled] !== 0) settled++;
    let applied = 0;
    for (let i = 0; i < settled; i++) if (outcome[i] === APPLIED) applied++;
    // Rejections past the settled prefix are sent again (and judged again) next time.
    const rejections = rejected.filter((r) => r.last < settled).sort((a, b) => a.rejection.fromSeq - b.rejection.fromSeq).map((r) => r.rejection);
    return { settled, applied, rejections, error, timedOut };
  }
}
