/**
 * `tradepipe push` and `pull`: whole records moved in parallel, like `dvc push/pull`.
 * Objects go first and a record only after all of its objects, so an interrupted push
 * leaves no record pointing at missing objects, and a rerun sends only what is missing.
 */
import PQueue from 'p-queue';
import type { Session } from '../cache-session.ts';
import type { RunRecord } from '../records.ts';
import type { RemoteBackend } from './backend.ts';
import type { RemoteConfig } from './config.ts';
import { shareRecord } from './signing.ts';
import type { TransferProgress } from './progress.ts';
import { downloadObject, downloadRecord, listObjects, recordKey, recordObjects, uploadObject } from './transfer.ts';

export interface SyncReport {
  /** Records written (push) or completed locally (pull). */
  records: number;
  /** Records the other side already had. */
  recordsPresent: number;
  objects: number;
  objectsPresent: number;
  bytes: number;
  failures: string[];
}

export interface SyncOptions {
  jobs: number;
  signingKey?: string;
  progress: TransferProgress;
  signal?: AbortSignal;
}

/** From this many objects on, push lists the remote's objects once instead of asking about each. */
const LIST_FROM_OBJECTS = 256;

const emptyReport = (): SyncReport => ({ records: 0, recordsPresent: 0, objects: 0, objectsPresent: 0, bytes: 0, failures: [] });

/** Runs `work` at most once per object, `jobs` at a time, with progress. */
function transfers<T>(opts: SyncOptions, work: (hash: string) => Promise<T>): { queue: PQueue; once(hash: string): Promise<T> } {
  const queue = new PQueue({ concurrency: Math.max(1, opts.jobs) });
  const started = new Map<string, Promise<T>>();
  const once = (hash: string) => {
    let pending = started.get(hash);
    if (!pending) {
      opts.progress.expect(1);
      pending = queue.add(() => work(hash).finally(() => opts.progress.done()));
      started.set(hash, pending);
    }
    return pending;
  };
  return { queue, once };
}

/** Counts one object: moved (its byte count) or already on the other side (0). */
function count(report: SyncReport, bytes: number): void {
  if (bytes > 0) report.objects++, (report.bytes += bytes);
  else report.objectsPresent++;
}

export async function push(session: Session, backend: RemoteBackend, records: readonly RunRecord[], opts: SyncOptions): Promise<SyncReport> {
  const report = emptyReport();
  let present: Map<string, number> | undefined;
  const { queue, once: upload } = transfers(opts, async (hash) => {
    try {
      count(report, await uploadObject(session.store, backend, hash, { signal: opts.signal, onBytes: (n) => opts.progress.bytes(n), present }));
      return true;
    } catch (error) {
      report.failures.push(`object ${hash}: ${(error as Error).message}`);
      return false;
    }
  });
  const wanted: { record: RunRecord; objects: string[] }[] = [];
  for (const record of records) {
    try {
      const objects = await recordObjects(session.store, record);
      const missing = objects.filter((h) => !session.store.has(h));
      if (missing.length === 0) wanted.push({ record, objects });
      else
        report.failures.push(`step \`${record.stepId}\` (${record.key}): ${missing.length} of its objects are not in the local store (pull or run it first)`);
    } catch (error) {
      report.failures.push(`step \`${record.stepId}\` (${record.key}): ${(error as Error).message}`);
    }
  }
  if (new Set(wanted.flatMap((w) => w.objects)).size >= LIST_FROM_OBJECTS) present = await listObjects(backend);
  await Promise.all(
    wanted.map(async ({ record, objects }) => {
      const sent = await Promise.all(objects.map(upload));
      if (!sent.every(Boolean)) return;
      try {
        const created = await queue.add(() => backend.create(recordKey(record.key), JSON.stringify(shareRecord(record, opts.signingKey))));
        if (created) report.records++;
        else report.recordsPresent++;
      } catch (error) {
        report.failures.push(`record of step \`${record.stepId}\` (${record.key}): ${(error as Error).message}`);
      }
    }),
  );
  return report;
}

/** Downloads (verified) every object of the given records that the local store lacks, then records them locally. */
export async function pull(
  session: Session,
  config: RemoteConfig,
  backend: RemoteBackend,
  records: readonly RunRecord[],
  opts: SyncOptions,
): Promise<SyncReport> {
  const report = emptyReport();
  const { once: download } = transfers(opts, async (hash) => {
    count(report, await downloadObject(session.store, backend, hash, config.write, { signal: opts.signal, onBytes: (n) => opts.progress.bytes(n) }));
  });
  await Promise.all(
    records.map(async (record) => {
      const known = session.records.read(record.key) !== undefined;
      try {
        await downloadRecord(session.store, record, download);
      } catch (error) {
        report.failures.push(`step \`${record.stepId}\` (${record.key}): ${(error as Error).message}`);
        return;
      }
      if (known) report.recordsPresent++;
      else {
        await session.records.write(record);
        report.records++;
      }
    }),
  );
  return report;
}
