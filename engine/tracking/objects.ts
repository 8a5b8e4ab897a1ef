/**
 * Tracking's use of the project's content-addressed store (engine/store.ts): files
 * and directories go in by content hash, come out as readable paths.
 */
import { copyFileSync, linkSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store.ts';

/** A stored object: `dir` objects are directory listings, anything else one file. */
export interface StoredRef {
  kind: 'file' | 'dir';
  hash: string;
  size: number;
}

/** Puts a file or directory into the store; `move` renames instead of copying where it can. */
export async function putPath(store: Store, path: string, move = false): Promise<StoredRef> {
  if ((await stat(path)).isDirectory()) return { kind: 'dir', ...(await store.putDir(path, { move })) };
  return { kind: 'file', ...(await store.putFile(path, { move })) };
}

/** Total bytes of a file, or of every file under a directory. */
export async function pathSize(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += await pathSize(join(path, name));
  return total;
}

/** A readable path for a stored object: the object file, or a read-only checkout of a directory. */
export async function storedPath(store: Store, ref: { kind: string; hash: string }): Promise<string> {
  return ref.kind === 'dir' ? store.materialize(ref.hash) : store.objectPath(ref.hash);
}

/**
 * Freezes what `path` holds right now under `stagingRoot`, synchronously, by hard
 * links (copies across filesystems). The engine may move a step's outputs into the
 * store as soon as the step returns; the snapshot stays valid whatever happens to
 * `path` afterwards. Returns the snapshot's path.
 */
export function snapshotSync(path: string, stagingRoot: string): string {
  const target = join(stagingRoot, randomBytes(8).toString('hex'));
  const place = (from: string, to: string): void => {
    if (statSync(from).isDirectory()) {
      mkdirSync(to, { recursive: true });
      for (const name of readdirSync(from)) place(join(from, name), join(to, name));
      return;
    }
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  };
  mkdirSync(stagingRoot, { recursive: true });
  place(path, target);
  return target;
}
