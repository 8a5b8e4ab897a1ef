/** A project's cache state, opened once per command: store, records, stat cache. */
import { projectPaths, type ProjectPaths } from './project.ts';
import { openStatCache, type StatCache } from './statcache.ts';
import { openStore, type Store } from './store.ts';
import { openRecords, type Records, type RunRecord } from './records.ts';
import { openGroupCommit } from './group-commit.ts';
import { openCodeGraph, type CodeGraph } from './codegraph.ts';
import type { CacheView } from './planner.ts';

export interface Session {
  paths: ProjectPaths;
  stats: StatCache;
  store: Store;
  records: Records;
  code: CodeGraph;
  /** Persists the stat cache and the code graph cache, once every record write has been committed. */
  save(): Promise<void>;
  /** The cache state as the planner sees it, for one pipeline file. */
  view(pipeline: string): CacheView;
}

export function openSession(root: string): Session {
  const paths = projectPaths(root);
  const stats = openStatCache(paths.statCache);
  const store = openStore(paths, stats);
  // Records commit after the objects they name: each batch first makes the store's new objects durable.
  const records = openRecords(paths, openGroupCommit(paths.store, () => store.takeUnsynced()));
  const code = openCodeGraph(paths.codeGraph);
  return {
    paths,
    stats,
    store,
    records,
    code,
    async save() {
      await records.flush();
      await stats.save();
      await code.save();
    },
    view(pipeline) {
      /** Objects found present by one loop over the snapshot's records; each answers one question, then the store is asked again. */
      let presentAhead: Set<string> | undefined;
      return {
        record: (key) => records.read(key),
        latest(stepId) {
          const pointer = records.pointer(pipeline, stepId);
          return pointer ? records.read(pointer.key) : undefined;
        },
        complete(record) {
          presentAhead ??= store.statAhead(records.snapshotRecords(pipeline).flatMap(objectHashes));
          return objectHashes(record).every((hash) => presentAhead!.delete(hash) || store.has(hash));
        },
      };
    },
  };
}

/** The store objects a step's record names: its outputs and its declared files. */
function objectHashes(record: RunRecord): string[] {
  return [...Object.values(record.outputs), ...Object.values(record.files)].map((ref) => ref.hash);
}
