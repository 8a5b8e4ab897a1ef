/**
 * Moving store objects between the local store and a remote, one object at a time,
 * streamed both ways. A download is hashed as it is written to a temp file and only
 * enters the store if its bytes match its name; one that does not is quarantined.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { HASH_PREFIX, hexOf } from '../hash.ts';
import type { ArtifactRef, Store } from '../store.ts';
import type { RunRecord } from '../records.ts';
import type { RemoteBackend } from './backend.ts';

export const objectKey = (hash: string) => {
  const hex = hexOf(hash);
  return `objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
};

export const recordKey = (key: string) => {
  const hex = hexOf(key);
  return `records/${hex.slice(0, 2)}/${hex.slice(2)}.json`;
};

/** The hash an `objects/…` key names, or undefined for anything else under `objects/`. */
export function hashOfObjectKey(key: string): string | undefined {
  const m = /^objects\/([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(key);
  return m ? `${HASH_PREFIX}${m[1]}${m[2]}` : undefined;
}

export class RemoteObjectCorrupt extends Error {
  constructor(
    readonly hash: string,
    readonly actual: string,
    remote: string,
    /** What became of the remote copy. */
    remoteCopy: string,
  ) {
    super(`object ${hash} in remote ${remote} is corrupted (its bytes hash to ${actual}); kept locally in .tradepipe/corrupt/, ${remoteCopy}`);
  }
}

export class RemoteObjectMissing extends Error {
  constructor(
    readonly hash: string,
    remote: string,
  ) {
    super(`object ${hash} is missing from remote ${remote}`);
  }
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called with byte counts as they move, for progress. */
  onBytes?(n: number): void;
  /** Sizes of the objects the remote holds, listed beforehand: spares one HEAD per object. */
  present?: ReadonlyMap<string, number>;
}

/** Lists the remote's objects once: cheaper than a HEAD each when pushing many. */
export async function listObjects(backend: RemoteBackend): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const entry of backend.list('objects/')) {
    const hash = hashOfObjectKey(entry.key);
    if (hash) out.set(hash, entry.size);
  }
  return out;
}

/** Uploads one local object unless the remote has it (same size). Returns the bytes sent. */
export async function uploadObject(store: Store, backend: RemoteBackend, hash: string, opts: TransferOptions = {}): Promise<number> {
  const path = store.objectPath(hash);
  const { size } = await stat(path);
  const there = opts.present ? opts.present.get(hash) : (await backend.stat(objectKey(hash)))?.size;
  if (there === size) return 0;
  // What we share must be what its name says: a locally damaged object is never sent.
  await store.verify({ kind: 'file', hash, size });
  await backend.upload(objectKey(hash), path, size, opts.signal);
  opts.onBytes?.(size);
  return size;
}

/**
 * Downloads one object into the store, verified, unless it is there already. Returns
 * the bytes received. A mismatch is kept in `.tradepipe/corrupt/` and, with
 * `quarantine`, moved aside in the remote too so that a correct copy can replace it.
 */
export async function downloadObject(store: Store, backend: RemoteBackend, hash: string, quarantine: boolean, opts: TransferOptions = {}): Promise<number> {
  if (store.has(hash)) return 0;
  const body = await backend.read(objectKey(hash), opts.signal);
  if (!body) throw new RemoteObjectMissing(hash, backend.url);
  await mkdir(store.paths.tmp, { recursive: true });
  const tmp = store.tmpPath('pull');
  const digest = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      bytes += chunk.length;
      opts.onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, hashing, createWriteStream(tmp), { signal: opts.signal });
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const actual = HASH_PREFIX + digest.digest('hex');
  if (actual !== hash) {
    const stamp = Date.now();
    await mkdir(store.paths.corrupt, { recursive: true });
    await rename(tmp, join(store.paths.corrupt, `remote-${hexOf(hash)}.${stamp}`));
    let remoteCopy = 'left in the remote (read-only here)';
    if (quarantine) {
      remoteCopy = await backend.move(objectKey(hash), `quarantine/${hexOf(hash)}.${stamp}`).then(
        () => 'moved to quarantine/ in the remote',
        (error: Error) => `left in the remote (moving it to quarantine/ failed: ${error.message})`,
      );
    }
    throw new RemoteObjectCorrupt(hash, actual, backend.url, remoteCopy);
  }
  await store.adopt(tmp, hash);
  return bytes;
}

/** Every object a record references: its outputs and outs, and the files listed by its dirs. Dir listings must be in the store. */
export function recordObjects(store: Store, record: RunRecord): Promise<string[]> {
  return refObjects(store, recordRefs(record));
}

/** The objects of stored artifacts: each one, and the files listed by the dirs. Dir listings must be in the store. */
export async function refObjects(store: Store, refs: readonly ArtifactRef[]): Promise<string[]> {
  const out = new Set<string>();
  for (const ref of refs) {
    out.add(ref.hash);
    if (ref.kind === 'dir') for (const [, h] of await store.dirListing(ref.hash)) out.add(h);
  }
  return [...out];
}

/** Downloads every object of a record (see downloadRefs). */
export function downloadRecord(store: Store, record: RunRecord, download: (hash: string) => Promise<unknown>): Promise<void> {
  return downloadRefs(store, recordRefs(record), download);
}

/**
 * Downloads every object of stored artifacts through `download` (which runs transfers in
 * parallel): the artifacts first, then the files their dir listings name.
 */
export async function downloadRefs(store: Store, refs: readonly ArtifactRef[], download: (hash: string) => Promise<unknown>): Promise<void> {
  await Promise.all(refs.map((ref) => download(ref.hash)));
  const files = new Set<string>();
  for (const ref of refs) if (ref.kind === 'dir') for (const [, h] of await store.dirListing(ref.hash)) files.add(h);
  await Promise.all([...files].map(download));
}

function recordRefs(record: RunRecord): ArtifactRef[] {
  return [...Object.values(record.outputs), ...Object.values(record.files)];
}
