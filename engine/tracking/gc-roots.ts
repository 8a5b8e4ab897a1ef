/**
 * Store objects tracking still needs, for `tradepipe gc` to keep: the files of every
 * version in the filesystem registry, and every artifact recorded in the outbox
 * (the history can still be synced to a server configured later).
 */
import type { Store } from '../store.ts';
import { listSegments, readSegment, segmentPath } from './outbox.ts';
import { fsRegistry } from './registry/fs-registry.ts';

export async function trackingLiveObjects(store: Store): Promise<{ kind: 'file' | 'dir'; hash: string }[]> {
  const out = new Map<string, { kind: 'file' | 'dir'; hash: string }>();
  for (const model of await fsRegistry(store).listModels()) {
    for (const v of model.versions) if (v.contentHash) out.set(v.contentHash, { kind: v.contentKind, hash: v.contentHash });
  }
  const storeDir = store.paths.store;
  for (const segment of listSegments(storeDir)) {
    for (const { record } of readSegment(segmentPath(storeDir, segment)).records) {
      if (record.op === 'artifact') out.set(record.hash, { kind: record.kind, hash: record.hash });
    }
  }
  return [...out.values()];
}
