/**
 * The stat cache: a file whose (size, mtime, inode) is unchanged since we hashed it
 * is not read again. Entries hashed while the file was "racily clean" (modified
 * within the last two seconds, when a further write might keep the same mtime) are
 * not remembered, the same precaution git takes with its index.
 */
import { readFileSync, statSync } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { hashFile, hashJson } from './hash.ts';
import { writeFileAtomic } from './atomic.ts';

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  hash: string;
}

/** A file changed this recently may change again within the same timestamp tick: its stats do not prove it unchanged. */
export const RACY_MS = 2000;

export interface DirEntry {
  path: string;
  hash: string;
  size: number;
}

export type PathHash =
  | { kind: 'file'; hash: string; size: number }
  | { kind: 'dir'; hash: string; entries: DirEntry[] };

export interface StatCache {
  /** `known`: the file's stat, when the caller has just taken it. */
  hashFile(path: string, known?: { size: number; mtimeMs: number; ino: number }): Promise<{ hash: string; size: number }>;
  /** A file's hash, or a directory's: the hash of its sorted (path, hash) listing. */
  hashPath(path: string): Promise<PathHash>;
  /**
   * Tell the cache the hash of a file we just wrote ourselves, sparing a read. `immutable`:
   * a read-only store object nobody writes again, so the racily-clean guard does not apply.
   */
  remember(path: string, hash: string, opts?: { immutable?: boolean; stat?: { size: number; mtimeMs: number; ino: number } }): Promise<void>;
  save(): Promise<void>;
}

export function openStatCache(file: string): StatCache {
  let entries: Record<string, Entry> = {};
  try {
    entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
  } catch {
    // Missing or unreadable: the cache is only an optimisation, start empty.
  }
  let dirty = false;

  const remember = async (path: string, hash: string, known?: { size: number; mtimeMs: number; ino: number }, immutable = false) => {
    const s = known ?? (await stat(path));
    if (!immutable && Date.now() - s.mtimeMs < RACY_MS) {
      if (entries[path]) {
        delete entries[path];
        dirty = true;
      }
      return;
    }
    entries[path] = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, hash };
    dirty = true;
  };

  const hashOneFile = async (path: string, known?: { size: number; mtimeMs: number; ino: number }) => {
    // Synchronous: a cached run checks one file per stored output, and a promise round trip costs ten times the stat.
    const s = known ?? statSync(path);
    const hit = entries[path];
    if (hit && hit.size === s.size && hit.mtimeMs === s.mtimeMs && hit.ino === s.ino) return { hash: hit.hash, size: s.size };
    const hash = await hashFile(path);
    await remember(path, hash, s);
    return { hash, size: s.size };
  };

  const hashPath = async (path: string): Promise<PathHash> => {
    const s = await stat(path);
    if (!s.isDirectory()) return { kind: 'file', ...(await hashOneFile(path)) };
    const listing: DirEntry[] = [];
    for (const rel of await listFiles(path)) {
      const { hash, size } = await hashOneFile(join(path, rel));
      listing.push({ path: rel, hash, size });
    }
    return { kind: 'dir', hash: dirHash(listing), entries: listing };
  };

  return {
    hashFile: hashOneFile,
    hashPath,
    remember: (path, hash, opts) => remember(path, hash, opts?.stat, opts?.immutable === true),
    async save() {
      if (!dirty) return;
      await writeFileAtomic(file, JSON.stringify(entries));
      dirty = false;
    },
  };
}

export function dirHash(listing: readonly DirEntry[]): string {
  return hashJson(listing.map((e) => [e.path, e.hash]));
}

/** Files below `dir`, as sorted forward-slash relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const items = await readdir(d, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      const p = join(d, item.name);
      if (item.isDirectory()) await walk(p);
      else if (item.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out;
}
