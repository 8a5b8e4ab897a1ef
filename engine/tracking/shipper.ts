/**
 * Ships outbox segments to a tracking backend, in order and idempotently.
 *
 * Per (target, segment) a state file under `<storeDir>/tracking/shipped/<target>/`
 * records the last shipped sequence number, its byte offset, and the mapping from
 * local run ids to the target's run ids. Resending is harmless: runs are found by
 * their `tradepipe.local_run_id` tag before being created, metric points keep their
 * original timestamps (MLflow stores an identical point once), params are re-sent
 * with the same values and tags overwrite themselves.
 */
import { join } from 'node:path';
import { MLFLOW_LIMITS } from './limits.ts';
import { MlflowError } from './client.ts';
import { TAG, type Batch, type RunRef, type TrackingBackend } from './backend.ts';
import type { Store } from '../store.ts';
import { storedPath } from './objects.ts';
import { readJson, withFileLock, writeJsonAtomic } from './files.ts';
import { readSegment, segmentPath } from './outbox.ts';
import { decodeMetricValue, type OutboxRecord } from './records.ts';

export interface ShipState {
  shippedSeq: number;
  /** Byte offset just past the last shipped record. */
  offset: number;
  runs: Record<string, RunRef>;
  /** Records the target refused for good (bad data); skipped so they cannot block the rest. */
  rejected: { fromSeq: number; toSeq: number; error: string }[];
}

const emptyState = (): ShipState => ({ shippedSeq: 0, offset: 0, runs: {}, rejected: [] });

export function shipStatePath(storeDir: string, targetKey: string, segmentId: string): string {
  return join(storeDir, 'tracking', 'shipped', targetKey, `${segmentId}.json`);
}

export function readShipState(storeDir: string, targetKey: string, segmentId: string): Promise<ShipState> {
  return readJson(shipStatePath(storeDir, targetKey, segmentId), emptyState());
}

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

const isData = (r: OutboxRecord): boolean => r.op === 'metric' || r.op === 'params' || r.op === 'tags';
const WINDOW = 5000;

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

/** Ships one segment's unshipped records. Holds a lock so two processes never ship the same segment. */
export async function shipSegment(segmentId: string, ctx: ShipContext): Promise<ShipResult> {
  const statePath = shipStatePath(ctx.storeDir, ctx.backend.targetKey, segmentId);
  return withFileLock(statePath, () => shipLocked(segmentId, statePath, ctx));
}

async function shipLocked(segmentId: string, statePath: string, ctx: ShipContext): Promise<ShipResult> {
  const { backend } = ctx;
  let state = await readJson<ShipState>(statePath, emptyState());
  let entries: Entry[] = readSegment(segmentPath(ctx.storeDir, segmentId), state.offset).records.filter((e) => e.record.seq > state.shippedSeq);
  const rejected: string[] = [];
  let shipped = 0;
  let resetDone = false;
  let backoff = ctx.backoffMs ?? 250;

  const commit = async (last: Entry, count: number): Promise<void> => {
    state.shippedSeq = last.record.seq;
    state.offset = last.next;
    await writeJsonAtomic(statePath, state);
    shipped += count;
  };

  const resolveRun = async (localId: string, experimentId: string): Promise<RunRef | undefined> => {
    const known = state.runs[localId];
    if (known) return known;
    // A step run of another pipeline run: its own segment's ship state knows it.
    const otherSegment = localId.split(':')[0] ?? localId;
    if (otherSegment !== segmentId) {
      const other = await readShipState(ctx.storeDir, backend.targetKey, otherSegment);
      if (other.runs[localId]) return other.runs[localId];
    }
    return backend.findRunByLocalId(experimentId, localId);
  };

  const runOf = (localId: string): RunRef => {
    const ref = state.runs[localId];
    if (!ref) throw new MlflowError(`outbox record for run ${localId} comes before that run's start record`, 'INVALID_OUTBOX', 400);
    return ref;
  };

  /** Applies entries [i, j) and returns j. */
  const apply = async (i: number): Promise<number> => {
    const { record } = entries[i]!;
    if (record.op === 'run') {
      const experimentId = await backend.ensureExperiment(record.experiment);
      let ref = state.runs[record.run] ?? (await backend.findRunByLocalId(experimentId, record.run));
      if (!ref) {
        // The local id tag is what makes a resend find this run instead of creating it again.
        const tags: [string, string][] = [...Object.entries(record.tags), [TAG.localRunId, record.run]];
        if (record.parent) tags.push([TAG.parentRunId, runOf(record.parent).runId]);
        if (record.producedBy) {
          const producer = await resolveRun(record.producedBy, experimentId);
          if (producer) tags.push([TAG.producedBy, producer.runId]);
        }
        ref = await backend.createRun({ experimentId, name: record.name, startTime: record.start, tags });
      }
      state.runs[record.run] = ref;
      return i + 1;
    }
    if (record.op === 'artifact') {
      if (!ctx.store.has(record.hash)) throw new MlflowError(`artifact ${record.path} (${record.hash}) is missing from the project's store`, 'ARTIFACT_MISSING', 400);
      await backend.uploadArtifact(runOf(record.run), record.path, await storedPath(ctx.store, record));
      return i + 1;
    }
    if (record.op === 'end') {
      await backend.updateRun(runOf(record.run).runId, record.status, record.end);
      return i + 1;
    }
    // A window of consecutive data records, grouped per run (order within a run kept).
    let j = i;
    const byRun = new Map<string, OutboxRecord[]>();
    while (j < entries.length && j - i < WINDOW && isData(entries[j]!.record)) {
      const r = entries[j]!.record;
      const list = byRun.get(r.run);
      if (list) list.push(r);
      else byRun.set(r.run, [r]);
      j++;
    }
    for (const [localId, records] of byRun) {
      const runId = runOf(localId).runId;
      for (const batch of toBatches(records)) await backend.logBatch(runId, batch);
    }
    return j;
  };

  let i = 0;
  while (i < entries.length) {
    if (Date.now() > ctx.deadline) break;
    try {
      const j = await apply(i);
      await commit(entries[j - 1]!, j - i);
      i = j;
      backoff = ctx.backoffMs ?? 250;
    } catch (err) {
      const error = err instanceof MlflowError ? err : new MlflowError(String((err as Error)?.message ?? err), 'CLIENT_ERROR', 400);
      if (error.transient) {
        const wait = Math.min(backoff, ctx.deadline - Date.now());
        if (wait <= 0) return { done: false, shipped, pending: entries.length - i, error: error.message, rejected };
        await sleep(wait);
        backoff = Math.min(backoff * 2, ctx.maxBackoffMs ?? 5000);
        continue;
      }
      if (error.unauthorized) return { done: false, shipped, pending: entries.length - i, error: error.message, rejected };
      if (error.errorCode === 'RESOURCE_DOES_NOT_EXIST' && !resetDone) {
        // The target lost runs we mapped (a wiped server): ship the whole segment again.
        resetDone = true;
        state = emptyState();
        entries = readSegment(segmentPath(ctx.storeDir, segmentId)).records;
        i = 0;
        continue;
      }
      const j = isData(entries[i]!.record) ? nextNonData(entries, i) : i + 1;
      const note = `seq ${entries[i]!.record.seq}-${entries[j - 1]!.record.seq}: ${error.message}`;
      state.rejected.push({ fromSeq: entries[i]!.record.seq, toSeq: entries[j - 1]!.record.seq, error: error.message });
      rejected.push(note);
      await commit(entries[j - 1]!, 0);
      i = j;
    }
  }
  return { done: i >= entries.length, shipped, pending: entries.length - i, rejected };
}

function nextNonData(entries: Entry[], i: number): number {
  let j = i;
  while (j < entries.length && j - i < WINDOW && isData(entries[j]!.record)) j++;
  return j;
}
