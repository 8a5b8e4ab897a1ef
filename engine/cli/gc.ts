/**
 * `tradepipe gc`: removes store objects that no kept run record references. Kept:
 * the records of each pipeline's last N runs and every step's current record.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openSession } from '../cache-session.ts';
import { acquireLock } from '../lock.ts';
import { hexOf } from '../hash.ts';
import type { Records, RunSummary } from '../records.ts';
import { eventFile } from '../events.ts';

export interface GcReport {
  keptRuns: number;
  removedRuns: number;
  removedRecords: number;
  removedObjects: number;
  freedBytes: number;
}

/** What gc keeps: each pipeline's last `keep` runs, and their records plus every step's current record. */
export function gcRoots(records: Records, keep: number): { keptRuns: RunSummary[]; droppedRuns: RunSummary[]; keptKeys: Set<string> } {
  const perPipeline = new Map<string, RunSummary[]>();
  for (const run of records.runs()) perPipeline.set(run.pipeline, [...(perPipeline.get(run.pipeline) ?? []), run]);
  const keptRuns = [...perPipeline.values()].flatMap((runs) => runs.slice(0, keep));
  const droppedRuns = [...perPipeline.values()].flatMap((runs) => runs.slice(keep));
  const keptKeys = new Set<string>(records.allPointers().map((p) => p.key));
  for (const run of keptRuns) for (const s of run.steps) if (s.key) keptKeys.add(s.key);
  return { keptRuns, droppedRuns, keptKeys };
}

export async function collectGarbage(root: string, keep: number, dryRun: boolean): Promise<GcReport> {
  const session = openSession(root);
  const lock = await acquireLock(session.paths.store, session.paths.lock, (m) => process.stderr.write(`${m}\n`));
  try {
    const { records, store, paths } = session;
    const { keptRuns, droppedRuns, keptKeys } = gcRoots(records, keep);

    const live = new Set<string>();
    const keepDirs = new Set<string>();
    let removedRecords = 0;
    for (const key of records.allRecordKeys()) {
      if (!keptKeys.has(key)) {
        removedRecords++;
        if (!dryRun) await records.remove(key);
        continue;
      }
      const record = records.read(key)!;
      for (const ref of [...Object.values(record.outputs), ...Object.values(record.files)]) {
        live.add(hexOf(ref.hash));
        if (ref.kind === 'dir' && store.has(ref.hash)) {
          keepDirs.add(hexOf(ref.hash));
          for (const [, h] of await store.dirListing(ref.hash)) live.add(hexOf(h));
        }
      }
    }
    // Registered model versions and unshipped tracking artifacts live in the store too.
    const { trackingLiveObjects } = await import('../tracking/gc-roots.ts');
    for (const ref of await trackingLiveObjects(store)) {
      live.add(hexOf(ref.hash));
      if (ref.kind === 'dir' && store.has(ref.hash)) {
        keepDirs.add(hexOf(ref.hash));
        for (const [, h] of await store.dirListing(ref.hash)) live.add(hexOf(h));
      }
    }
    let removedObjects = 0;
    let freedBytes = 0;
    if (existsSync(paths.objects)) {
      for (const prefix of readdirSync(paths.objects)) {
        for (const rest of readdirSync(join(paths.objects, prefix))) {
          if (live.has(prefix + rest)) continue;
          const path = join(paths.objects, prefix, rest);
          freedBytes += statSync(path).size;
          removedObjects++;
          if (!dryRun) await rm(path, { force: true });
        }
      }
    }
    if (!dryRun) {
      if (existsSync(paths.checkouts)) for (const d of readdirSync(paths.checkouts)) if (!keepDirs.has(d)) await rm(join(paths.checkouts, d), { recursive: true, force: true });
      for (const run of droppedRuns) {
        await rm(join(paths.runs, `${run.runId}.json`), { force: true });
        await rm(eventFile(paths.store, run.runId), { force: true });
      }
      await rm(paths.tmp, { recursive: true, force: true });
      await rm(paths.corrupt, { recursive: true, force: true });
    }
    return { keptRuns: keptRuns.length, removedRuns: droppedRuns.length, removedRecords, removedObjects, freedBytes };
  } finally {
    await lock.release();
  }
}
