/**
 * Run records: what a step produced for a given cache key, one small file per key
 * (no single lockfile to merge), plus a per-step pointer to the latest key with a
 * history, so going back to old params restores old outputs without recomputing.
 *
 * A pipeline's pointers and the records they designate are also kept together in one
 * snapshot file, so planning a mostly cached pipeline reads one file instead of two per
 * step. A snapshot is only ever a copy: moving a pointer first deletes its pipeline's
 * snapshot (durably), and a run writes a fresh one at its end (`snapshot`), so a snapshot
 * that exists agrees with the pointer files.
 */
import { readFileSync, readdirSync, existsSync, rmSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openGroupCommit, type GroupCommit } from './group-commit.ts';
import { hexOf } from './hash.ts';
import type { ArtifactRef } from './store.ts';
import type { KeyManifest } from './key.ts';
import type { ProjectPaths } from './project.ts';

export interface RunRecord {
  key: string;
  stepId: string;
  /** Pipeline file, project-relative. */
  pipeline: string;
  manifest: KeyManifest;
  /** Output ports. */
  outputs: Record<string, ArtifactRef>;
  /** Workspace outs, by project-relative path. */
  files: Record<string, ArtifactRef>;
  runId: string;
  finishedAt: string;
  durationMs: number;
}

export interface StepPointer {
  key: string;
  history: { key: string; runId: string; at: string }[];
}

export interface RunSummary {
  runId: string;
  pipeline: string;
  startedAt: string;
  finishedAt: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  steps: { id: string; status: string; key?: string }[];
}

const HISTORY = 50;

/** One pipeline's pointers (null: the step has none) and the records they designate; `format` changes when the shape does. */
interface Snapshot {
  format: 1;
  pointers: Record<string, StepPointer | null>;
  records: Record<string, RunRecord>;
}

/**
 * Writes are group-committed (group-commit.ts): this process reads what it wrote at once,
 * other processes once the promise a write returned has resolved (the file is durable).
 */
export interface Records {
  read(key: string): RunRecord | undefined;
  /** Resolves once the record is durable; it is readable here as soon as this is called. */
  write(record: RunRecord): Promise<void>;
  pointer(pipeline: string, stepId: string): StepPointer | undefined;
  /** The records the pipeline's snapshot holds (none without a usable one): what planning it will look at. */
  snapshotRecords(pipeline: string): RunRecord[];
  /** Resolves once the pointer is durable; it is readable here as soon as this is called. */
  point(pipeline: string, stepId: string, key: string, runId: string): Promise<void>;
  writeRun(summary: RunSummary): Promise<void>;
  /**
   * Brings the pipeline's snapshot up to date with these steps' pointers, when this process
   * moved one or found the snapshot missing or short; resolves once it is durable. Only the
   * project lock's holder may call it: a reader's view of the pointers can be stale.
   */
  snapshot(pipeline: string, stepIds: readonly string[]): Promise<void>;
  /** Resolves once every write made so far has been committed (or has failed). */
  flush(): Promise<void>;
  /** Newest first. */
  runs(): RunSummary[];
  allRecordKeys(): string[];
  remove(key: string): Promise<void>;
  allPointers(): StepPointer[];
}

/** `commit` orders record writes after the store's objects (cache-session.ts); on its own, records commit alone. */
export function openRecords(paths: ProjectPaths, commit: GroupCommit = openGroupCommit(paths.store)): Records {
  const recordPath = (key: string) => {
    const hex = hexOf(key);
    return join(paths.records, hex.slice(0, 2), `${hex.slice(2)}.json`);
  };
  // Step ids and pipeline paths become file names; encode what a file name can't hold.
  const pointerPath = (pipeline: string, stepId: string) => join(paths.steps, encodeURIComponent(pipeline), `${encodeURIComponent(stepId)}.json`);
  const readJson = <T>(path: string): T | undefined => {
    // A missing file is the common case in a cold run: asking first is cheaper than the exception.
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  };
  const listJson = (dir: string): string[] => {
    if (!existsSync(dir)) return [];
    const out: string[] = [];
    for (const sub of readdirSync(dir, { withFileTypes: true })) {
      if (sub.isDirectory()) for (const f of readdirSync(join(dir, sub.name))) out.push(join(dir, sub.name, f));
      else if (sub.name.endsWith('.json')) out.push(join(dir, sub.name));
    }
    return out.filter((f) => f.endsWith('.json'));
  };

  // Records never change once written, and only the lock holder moves pointers, so a
  // process may remember what it read: a cached step then costs one read of each.
  const recordCache = new Map<string, RunRecord | undefined>();
  /** By `pointerKey`: building the file path each time would cost more than the lookup. */
  const pointerCache = new Map<string, StepPointer | undefined>();
  const pointerKey = (pipeline: string, stepId: string) => `${pipeline}\0${stepId}`;

  const recordOf = (key: string) => {
    const hit = recordCache.get(key);
    if (hit) return hit;
    const record = readJson<RunRecord>(recordPath(key));
    if (record) recordCache.set(key, record);
    return record;
  };

  const snapshotPath = (pipeline: string) => join(paths.snapshots, `${encodeURIComponent(pipeline)}.json`);
  const snapshots = new Map<string, Snapshot | undefined>();
  /** Pipelines whose pointers this process moved: their snapshot on disk is gone. */
  const moved = new Set<string>();
  const snapshotOf = (pipeline: string) => {
    if (!snapshots.has(pipeline)) {
      const snapshot = readJson<Snapshot>(snapshotPath(pipeline));
      const usable = snapshot?.format === 1 && !moved.has(pipeline) ? snapshot : undefined;
      for (const record of Object.values(usable?.records ?? {})) recordCache.set(record.key, record);
      snapshots.set(pipeline, usable);
    }
    return snapshots.get(pipeline);
  };
  const pointerOf = (pipeline: string, stepId: string) => {
    const cacheKey = pointerKey(pipeline, stepId);
    if (!pointerCache.has(cacheKey)) {
      const copy = snapshotOf(pipeline)?.pointers;
      pointerCache.set(cacheKey, copy && Object.hasOwn(copy, stepId) ? (copy[stepId] ?? undefined) : readJson<StepPointer>(pointerPath(pipeline, stepId)));
    }
    return pointerCache.get(cacheKey);
  };
  /** Deletes every pipeline's snapshot, durably: one may hold a copy of a record that is about to change or go. */
  const dropSnapshots = () => {
    snapshots.clear();
    if (!existsSync(paths.snapshots)) return;
    rmSync(paths.snapshots, { recursive: true, force: true });
    syncFolder(paths.store);
  };
  /** Deletes the pipeline's snapshot, durably, before its first pointer moves: a crash must not leave a stale copy behind. */
  const invalidate = (pipeline: string) => {
    if (moved.has(pipeline)) return;
    moved.add(pipeline);
    snapshots.set(pipeline, undefined);
    const path = snapshotPath(pipeline);
    if (!existsSync(path)) return;
    rmSync(path, { force: true });
    syncFolder(paths.snapshots);
  };
  return {
    read: recordOf,
    write(record) {
      // Rewritten under the same key (an always-run or forced step): snapshots may hold the old copy.
      if (recordCache.has(record.key) || existsSync(recordPath(record.key))) dropSnapshots();
      recordCache.set(record.key, record);
      return commit.write(recordPath(record.key), JSON.stringify(record, null, 1));
    },
    pointer: pointerOf,
    snapshotRecords: (pipeline) => Object.values(snapshotOf(pipeline)?.records ?? {}),
    async point(pipeline, stepId, key, runId) {
      const previous = pointerOf(pipeline, stepId);
      if (previous?.key === key) return;
      invalidate(pipeline);
      const history = [{ key, runId, at: new Date().toISOString() }, ...(previous?.history ?? []).filter((h) => h.key !== key)].slice(0, HISTORY);
      const next: StepPointer = { key, history };
      pointerCache.set(pointerKey(pipeline, stepId), next);
      await commit.write(pointerPath(pipeline, stepId), JSON.stringify(next));
    },
    writeRun: (summary) => commit.write(join(paths.runs, `${summary.runId}.json`), JSON.stringify(summary)),
    async snapshot(pipeline, stepIds) {
      const current = snapshotOf(pipeline);
      if (current && stepIds.every((id) => Object.hasOwn(current.pointers, id))) return;
      const next: Snapshot = { format: 1, pointers: {}, records: {} };
      for (const id of stepIds) {
        const pointer = pointerOf(pipeline, id);
        next.pointers[id] = pointer ?? null;
        // A `cache: false` step's pointer names no record: asked for, it is looked up as a file and found absent.
        const record = pointer && recordOf(pointer.key);
        if (record) next.records[record.key] = record;
      }
      snapshots.set(pipeline, next);
      moved.delete(pipeline);
      await commit.write(snapshotPath(pipeline), JSON.stringify(next));
    },
    flush: () => commit.flush(),
    runs() {
      const all = listJson(paths.runs).map((f) => readJson<RunSummary>(f)).filter((r): r is RunSummary => r !== undefined);
      return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    },
    allRecordKeys: () => listJson(paths.records).map((f) => readJson<RunRecord>(f)?.key).filter((k): k is string => k !== undefined),
    async remove(key) {
      await commit.flush();
      recordCache.delete(key);
      // A snapshot may hold a copy of the record: none may outlive it.
      dropSnapshots();
      await rm(recordPath(key), { force: true });
    },
    allPointers: () => listJson(paths.steps).map((f) => readJson<StepPointer>(f)).filter((p): p is StepPointer => p !== undefined),
  };
}

/** Makes a removal in `dir` durable. */
function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
