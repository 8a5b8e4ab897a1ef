/**
 * The remote as `run` and `status` use it: read-through (a key missing locally is looked
 * up in the remote; the planner sees what was found as input state, never doing I/O
 * itself) and write-behind (after a step executes, its objects then its record go up
 * in the background; `flush` waits for them at the end of the run).
 */
import PQueue from 'p-queue';
import type { CacheView, Reason, SharedHit } from '../planner.ts';
import type { RunRecord } from '../records.ts';
import type { Session } from '../cache-session.ts';
import { readText, type RemoteBackend } from './backend.ts';
import type { RemoteConfig } from './config.ts';
import { openSharedRecord, shareRecord } from './signing.ts';
import type { ArtifactRef } from '../store.ts';
import { downloadObject, downloadRecord, downloadRefs, recordKey, recordObjects, refObjects, uploadObject, type TransferOptions } from './transfer.ts';

/** What the executor asks of a remote: small hooks around planning, reuse and recording. */
export interface RemoteHooks {
  /** The local cache view plus what the remote is known to hold. */
  view(local: CacheView): CacheView;
  /** Looks a key up in the remote when the local cache cannot serve it. */
  lookup(key: string, local: CacheView): Promise<void>;
  /** Downloads a remote hit's objects (verified) and records it locally; a problem becomes a reason to execute. */
  fetch(record: RunRecord): Promise<true | Reason>;
  /** A step executed: share its outputs, then its record (write-behind). */
  executed(record: RunRecord): void;
}

export interface PublishReport {
  objects: number;
  bytes: number;
  records: number;
  failures: string[];
}

export interface RemoteCache extends RemoteHooks {
  readonly config: RemoteConfig;
  readonly backend: RemoteBackend;
  /** Whether `lookup` already asked the remote about a key. */
  asked(key: string): boolean;
  /** Waits for the write-behind uploads. */
  flush(): Promise<PublishReport>;
  /** Reads a record from the remote now (another machine just wrote it); undefined when absent. */
  recordOf(key: string): Promise<RunRecord | undefined>;
  /** Uploads the objects of stored artifacts that belong to no record (a worker's tracked artifacts). */
  upload(refs: readonly ArtifactRef[]): Promise<void>;
  /** Downloads, verified, the objects of artifacts another machine uploaded. */
  download(refs: readonly ArtifactRef[]): Promise<void>;
}

export interface RemoteCacheOptions {
  /** TRADEPIPE_REMOTE_KEY: records are signed with it, and only records signed with it are trusted. */
  signingKey?: string;
  /** Objects moving at once. */
  jobs: number;
  warn(message: string): void;
  signal?: AbortSignal;
}

export function openRemoteCache(config: RemoteConfig, backend: RemoteBackend, session: Session, opts: RemoteCacheOptions): RemoteCache {
  const hits = new Map<string, SharedHit>();
  const asked = new Set<string>();
  const transfers = new PQueue({ concurrency: Math.max(1, opts.jobs) });
  const publishing: Promise<void>[] = [];
  const report: PublishReport = { objects: 0, bytes: 0, records: 0, failures: [] };
  const transfer: TransferOptions = { signal: opts.signal };
  let unreachable = false;

  const lookup = async (key: string, local: CacheView) => {
    if (asked.has(key)) return;
    asked.add(key);
    const mine = local.record(key);
    if (!config.read || unreachable || (mine && local.complete(mine))) return;
    let text: string | undefined;
    try {
      text = await readText(backend, recordKey(key));
    } catch (error) {
      unreachable = true;
      opts.warn(`remote ${config.name} (${config.url}) cannot be read, going on without it: ${(error as Error).message}`);
      return;
    }
    if (text === undefined) return;
    const opened = openSharedRecord(text, key, opts.signingKey);
    if (!opened.ok) return opts.warn(`ignoring record ${recordKey(key)} in remote ${config.name}: it ${opened.problem}`);
    hits.set(key, { remote: config.name, record: opened.shared.record, host: opened.shared.origin.host });
  };

  const download = (hash: string) => transfers.add(() => downloadObject(session.store, backend, hash, config.write, transfer));
  const fetch = async (record: RunRecord): Promise<true | Reason> => {
    try {
      await downloadRecord(session.store, record, download);
      await session.records.write(record);
      return true;
    } catch (error) {
      hits.delete(record.key);
      const problem = (error as Error).message;
      opts.warn(`${problem}; the step executes instead`);
      return { kind: 'remote-unusable', remote: config.name, problem };
    }
  };

  const publish = async (record: RunRecord) => {
    try {
      const objects = await recordObjects(session.store, record);
      const sent = await Promise.all(objects.map((h) => transfers.add(() => uploadObject(session.store, backend, h, transfer))));
      for (const bytes of sent) if (bytes > 0) report.objects++, (report.bytes += bytes);
      // Last: a reader that finds the record finds its objects.
      if (await backend.create(recordKey(record.key), JSON.stringify(shareRecord(record, opts.signingKey)))) report.records++;
    } catch (error) {
      report.failures.push(`step \`${record.stepId}\`: ${(error as Error).message}`);
    }
  };

  return {
    config,
    backend,
    view: (local) => ({ ...local, shared: (key) => hits.get(key) }),
    lookup,
    asked: (key) => asked.has(key),
    fetch,
    executed(record) {
      if (config.write) publishing.push(publish(record));
    },
    async flush() {
      await Promise.all(publishing);
      return report;
    },
    async recordOf(key) {
      const text = await readText(backend, recordKey(key));
      if (text === undefined) return undefined;
      const opened = openSharedRecord(text, key, opts.signingKey);
      if (!opened.ok) throw new Error(`record ${recordKey(key)} in remote ${config.name}: it ${opened.problem}`);
      hits.set(key, { remote: config.name, record: opened.shared.record, host: opened.shared.origin.host });
      return opened.shared.record;
    },
    async upload(refs) {
      const objects = await refObjects(session.store, refs);
      await Promise.all(objects.map((h) => transfers.add(() => uploadObject(session.store, backend, h, transfer))));
    },
    download: (refs) => downloadRefs(session.store, refs, download),
  };
}
