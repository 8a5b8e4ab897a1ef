/**
 * `tradepipe gc --remote`: removes remote objects that no record in the remote
 * references (left by interrupted pushes, replaced after quarantine, or orphaned),
 * the quarantine itself, and abandoned multipart uploads. Records are kept: they are
 * small, and each is someone's result. Whatever is younger than the grace period is
 * left alone, since a push uploads objects before the record that references them.
 */
import { HASH_PREFIX } from '../hash.ts';
import { readText, type RemoteBackend } from './backend.ts';
import { openSharedRecord } from './signing.ts';
import { hashOfObjectKey, objectKey } from './transfer.ts';

export interface RemoteGcReport {
  records: number;
  unreadableRecords: number;
  removedObjects: number;
  freedBytes: number;
  removedQuarantined: number;
  droppedUploads: number;
}

export async function collectRemoteGarbage(
  backend: RemoteBackend,
  opts: { dryRun: boolean; graceMs: number; warn(message: string): void },
): Promise<RemoteGcReport> {
  const report: RemoteGcReport = { records: 0, unreadableRecords: 0, removedObjects: 0, freedBytes: 0, removedQuarantined: 0, droppedUploads: 0 };
  const cutoff = new Date(Date.now() - opts.graceMs);
  const live = new Set<string>();
  for await (const entry of backend.list('records/')) {
    const m = /^records\/([0-9a-f]{2})\/([0-9a-f]{62})\.json$/.exec(entry.key);
    const text = m ? await readText(backend, entry.key) : undefined;
    // Signatures are not checked: whoever trusts a record keeps its objects.
    const opened = text === undefined ? undefined : openSharedRecord(text, `${HASH_PREFIX}${m![1]}${m![2]}`, undefined);
    if (!opened?.ok) {
      report.unreadableRecords++;
      opts.warn(`${entry.key} in ${backend.url} is not a run record; it protects nothing`);
      continue;
    }
    report.records++;
    const { record } = opened.shared;
    for (const ref of [...Object.values(record.outputs), ...Object.values(record.files)]) {
      live.add(ref.hash);
      if (ref.kind !== 'dir') continue;
      const listing = await readText(backend, objectKey(ref.hash));
      if (listing === undefined) continue;
      try {
        for (const [, h] of JSON.parse(listing) as [string, string][]) live.add(h);
      } catch {
        opts.warn(`directory listing ${ref.hash} in ${backend.url} is not JSON; the files it names are not protected`);
      }
    }
  }
  for await (const entry of backend.list('objects/')) {
    const hash = hashOfObjectKey(entry.key);
    if ((hash && live.has(hash)) || entry.modified >= cutoff) continue;
    report.removedObjects++;
    report.freedBytes += entry.size;
    if (!opts.dryRun) await backend.remove(entry.key);
  }
  for await (const entry of backend.list('quarantine/')) {
    if (entry.modified >= cutoff) continue;
    report.removedQuarantined++;
    if (!opts.dryRun) await backend.remove(entry.key);
  }
  if (!opts.dryRun) report.droppedUploads = await backend.dropIncomplete(cutoff);
  return report;
}
