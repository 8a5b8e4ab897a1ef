/**
 * Run records: what a step produced for a given cache key, one small file per key
 * (no single lockfile to merge), plus a per-step pointer to the latest key with a
 * history, so going back to old params restores old outputs without recomputing.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
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

/**
 * Writes are group-committed (group-commit.ts): this process reads what it wrote at once,
 * other processes once the promise a write returned has resolved (the file is durable).
 */
export interface Records {
  read(key: string): RunRecord | undefined;
  /** Resolves once the record is durable; it is readable here as soon as this is called. */
  write(record: RunRecord): Promise<void>;
  pointer(pipeline: string, stepId: string): StepPointer | undefined;
  /** Resolves once the pointer is durable; it is readable here as soon as this is called. */
  point(pipeline: string, stepId: string, key: string, runId: string): Promise<void>;
  writeRun(summary: RunSummary): Promise<void>;
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
  const pointerCache = new Map<string, StepPointer | undefined>();
  const readPointer = (path: string) => {
    if (!pointerCache.has(path)) pointerCache.set(path, readJson<StepPointer>(path));
    return pointerCache.get(path);
  };
  return {
    read(key) {
      const hit = recordCache.get(key);
      if (hit) return hit;
      const record = readJson<RunRecord>(recordPath(key));
      if (record) recordCache.set(key, record);
      return record;
    },
    write(record) {
      recordCache.set(record.key, record);
      return commit.write(recordPath(record.key), JSON.stringify(record, null, 1));
    },
    pointer: (pipeline, stepId) => readPointer(pointerPath(pipeline, stepId)),
    async point(pipeline, stepId, key, runId) {
      const path = pointerPath(pipeline, stepId);
      const previous = readPointer(path);
      if (previous?.key === key) return;
      const history = [{ key, runId, at: new Date().toISOString() }, ...(previous?.history ?? []).filter((h) => h.key !== key)].slice(0, HISTORY);
      const next: StepPointer = { key, history };
      pointerCache.set(path, next);
      await commit.write(path, JSON.stringify(next));
    },
    writeRun: (summary) => commit.write(join(paths.runs, `${summary.runId}.json`), JSON.stringify(summary)),
    flush: () => commit.flush(),
    runs() {
      const all = listJson(paths.runs).map((f) => readJson<RunSummary>(f)).filter((r): r is RunSummary => r !== undefined);
      return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    },
    allRecordKeys: () => listJson(paths.records).map((f) => readJson<RunRecord>(f)?.key).filter((k): k is string => k !== undefined),
    async remove(key) {
      await commit.flush();
      recordCache.delete(key);
      await rm(recordPath(key), { force: true });
    },
    allPointers: () => listJson(paths.steps).map((f) => readJson<StepPointer>(f)).filter((p): p is StepPointer => p !== undefined),
  };
}
