/**
 * The content-addressed object store. An object's name is the sha256 of its bytes;
 * a directory is stored as its files plus a listing object `[[path, hash], ...]`
 * whose own hash names the directory. Objects are written to a temp file and renamed,
 * so a crash never leaves a half object; they are read-only once in place. Reads go
 * through verification: an object whose bytes no longer match its name is reported,
 * moved aside to `corrupt/`, and treated as missing. A write that fails (full or
 * read-only disk) removes its temp file and throws a WriteFailed naming the path. A
 * restore writes only inside the project (see confine.ts), and a directory listing
 * with an entry that would escape is refused before anything is written.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { uniqueSuffix } from './temp-name.ts';
import { canonicalJson, hashBytes, hashFile, hexOf } from './hash.ts';
import { dirHash, listFiles, type DirEntry, type StatCache } from './statcache.ts';
import { displayPath, type ProjectPaths } from './project.ts';
import type { ArtifactKind } from './plugin.ts';
import { assertSafeListing, confinedPath } from './confine.ts';
import { guardWrite } from './write-errors.ts';
import type { UnsyncedObject } from './group-commit.ts';

export interface ArtifactRef {
  kind: ArtifactKind;
  hash: string;
  size: number;
}

export class CorruptObject extends Error {
  constructor(
    readonly hash: string,
    readonly actual: string,
  ) {
    super(`store object ${hash} is corrupted (its bytes hash to ${actual}); moved to .tradepipe/corrupt/`);
  }
}

export interface Store {
  readonly paths: ProjectPaths;
  objectPath(hash: string): string;
  has(hash: string): boolean;
  /**
   * The objects among these that are present, stat'ed now one after another (their stats kept for
   * `verify`, as `has` keeps them): planning a thousand cached steps, a stat in one loop cost a
   * third of one made between two steps' work.
   */
  statAhead(hashes: Iterable<string>): Set<string>;
  putBytes(data: Uint8Array | string): Promise<string>;
  /** Copies (or, with `move`, renames) a workspace or scratch file into the store. */
  putFile(path: string, opts?: { move?: boolean }): Promise<{ hash: string; size: number }>;
  putDir(path: string, opts?: { move?: boolean }): Promise<{ hash: string; size: number }>;
  readBytes(hash: string): Promise<Uint8Array>;
  dirListing(hash: string): Promise<[string, string][]>;
  /** Throws CorruptObject (after quarantining) if an object, or any file of a dir, fails its hash. */
  verify(ref: ArtifactRef): Promise<void>;
  /** A read-only directory holding a stored dir artifact (hard links into the store). */
  materialize(hash: string): Promise<string>;
  /** Writes a stored file or dir to a workspace path, replacing what is there (like `dvc checkout`); throws OutsideProject for a path outside the project. */
  restore(ref: ArtifactRef, target: string): Promise<void>;
  tmpPath(label: string): string;
  /** Installs a file written under `tmpPath` whose bytes the caller hashed while writing them (a verified download). */
  adopt(tmp: string, hash: string): Promise<void>;
  /**
   * The objects installed since the last call, not fsynced yet (with their bytes when small):
   * the record commit makes them durable before any record naming them becomes visible (group-commit.ts).
   */
  takeUnsynced(): UnsyncedObject[];
}

/** Bytes (or UTF-16 units) up to which an object is written synchronously. */
const SMALL_OBJECT = 64 * 1024;
/** Bytes of small objects a process keeps after writing them (store.ts `recent`). */
const RECENT_BYTES = 16 * 2 ** 20;

export function openStore(paths: ProjectPaths, stats: StatCache): Store {
  const objectPath = (hash: string) => {
    const hex = hexOf(hash);
    return join(paths.objects, hex.slice(0, 2), hex.slice(2));
  };
  const tmpPath = (label: string) => join(paths.tmp, `${label}.${uniqueSuffix()}`);
  let unsynced: UnsyncedObject[] = [];
  // Folders this process made or found: a folder is never removed while a store is open.
  const folders = new Set<string>();
  const ensureFolder = async (dir: string, recursive: boolean) => {
    if (folders.has(dir)) return;
    await mkdir(dir, { recursive }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    folders.add(dir);
  };
  /** Runs a write into the temp folder, making the folder again if it went away meanwhile (`gc` removes it). */
  const intoTmp = async (write: () => Promise<void>) => {
    await ensureFolder(paths.tmp, true);
    await write().catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT' || existsSync(paths.tmp)) throw error;
      folders.delete(paths.tmp);
      await ensureFolder(paths.tmp, true);
      await write();
    });
  };

  const install = async (tmp: string, hash: string) => {
    const target = objectPath(hash);
    if (existsSync(target)) {
      await rm(tmp, { force: true });
      return;
    }
    await guardWrite(target, async () => {
      await ensureFolder(paths.objects, true);
      // Not recursive: on a read-only file system a recursive mkdir reports ENOENT instead of EROFS.
      await ensureFolder(dirname(target), false);
      await chmod(tmp, 0o444);
      await rename(tmp, target);
    }, [tmp]);
    unsynced.push({ path: target });
    await stats.remember(target, hash, { immutable: true });
  };

  /** What `has` or `statAhead` found, for the `verify` that follows it (planning, then reusing a cached step) to skip a second stat. */
  const presentStats = new Map<string, { size: number; mtimeMs: number; ino: number }>();

  /**
   * Small objects this process wrote, by hash, up to RECENT_BYTES: the step downstream reads its
   * input from memory, with no file read and no rehash (the bytes are the ones that were hashed).
   */
  const recent = new Map<string, Buffer>();
  let recentBytes = 0;
  const forgetRecent = (hash: string) => {
    const kept = recent.get(hash);
    if (!kept) return;
    recent.delete(hash);
    recentBytes -= kept.length;
  };
  const keepRecent = (hash: string, bytes: Buffer) => {
    recent.set(hash, bytes);
    recentBytes += bytes.length;
    // Oldest first (a Map iterates in insertion order).
    for (const oldest of recent.keys()) {
      if (recentBytes <= RECENT_BYTES) break;
      forgetRecent(oldest);
    }
  };

  /** A small object is written without leaving the main thread: a few system calls, where a round trip through libuv's pool costs more than the write. */
  const putSmall = async (data: Uint8Array | string, hash: string) => {
    const target = objectPath(hash);
    const tmp = tmpPath('obj');
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let written: { size: number; mtimeMs: number; ino: number } | undefined;
    await guardWrite(target, async () => {
      await intoTmp(async () => {
        written = writeSmall(tmp, bytes);
      });
      await ensureFolder(paths.objects, true);
      await ensureFolder(dirname(target), false);
      renameSync(tmp, target);
    }, [tmp]);
    unsynced.push({ path: target, bytes });
    // A rename keeps the inode, size and mtime: the temp file's stat is the object's.
    await stats.remember(target, hash, { immutable: true, stat: written });
    // Our own copy: the caller may reuse its buffer.
    keepRecent(hash, typeof data === 'string' ? bytes : Buffer.from(bytes));
  };

  const putBytes = async (data: Uint8Array | string) => {
    const hash = hashBytes(data);
    if (recent.has(hash) || existsSync(objectPath(hash))) return hash;
    if (data.length <= SMALL_OBJECT) {
      await putSmall(data, hash);
      return hash;
    }
    const tmp = tmpPath('obj');
    await guardWrite(objectPath(hash), () => intoTmp(() => writeFile(tmp, data)), [tmp]);
    await install(tmp, hash);
    return hash;
  };

  const putFile = async (path: string, opts: { move?: boolean } = {}) => {
    const tmp = tmpPath('obj');
    await guardWrite(
      paths.objects,
      () =>
        intoTmp(async () => {
          if (opts.move) await rename(path, tmp).catch(() => copyFile(path, tmp, constants.COPYFILE_FICLONE));
          else await copyFile(path, tmp, constants.COPYFILE_FICLONE);
        }),
      [tmp],
      `${displayPath(path)} into the store (${displayPath(paths.objects)})`,
    );
    // Hash the copy, not the source: what lands in the store is what was hashed.
    const hash = await hashFile(tmp);
    const { size } = await stat(tmp);
    await install(tmp, hash);
    return { hash, size };
  };

  const putDir = async (path: string, opts: { move?: boolean } = {}) => {
    const listing: DirEntry[] = [];
    let size = 0;
    for (const rel of await listFiles(path)) {
      const put = await putFile(join(path, rel), opts);
      listing.push({ path: rel, hash: put.hash, size: put.size });
      size += put.size;
    }
    const manifest = canonicalJson(listing.map((e) => [e.path, e.hash]));
    const hash = await putBytes(manifest);
    if (hash !== dirHash(listing)) throw new Error('internal: directory listing hash mismatch');
    if (opts.move) await rm(path, { recursive: true, force: true });
    return { hash, size };
  };

  const quarantine = async (hash: string, actual: string): Promise<never> => {
    presentStats.delete(hash);
    // The object leaves the store: a later put of the same bytes must write it again.
    forgetRecent(hash);
    const target = join(paths.corrupt, `${hexOf(hash)}.${Date.now()}`);
    await mkdir(paths.corrupt, { recursive: true });
    await rename(objectPath(hash), target).catch(() => undefined);
    throw new CorruptObject(hash, actual);
  };

  const verifyObject = async (hash: string) => {
    const known = presentStats.get(hash);
    presentStats.delete(hash);
    const { hash: actual } = await stats.hashFile(objectPath(hash), known).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new MissingObject(hash) : error;
    });
    if (actual !== hash) await quarantine(hash, actual);
  };

  const readBytes = async (hash: string) => {
    const kept = recent.get(hash);
    // A copy: the caller may change what it gets.
    if (kept) return new Uint8Array(kept);
    const path = objectPath(hash);
    const data = await (async () => readSmall(path) ?? (await readFile(path)))().catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new MissingObject(hash) : error;
    });
    const actual = hashBytes(data);
    if (actual !== hash) await quarantine(hash, actual);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  };

  const dirListing = async (hash: string) => JSON.parse(new TextDecoder().decode(await readBytes(hash))) as [string, string][];

  const materialize = async (hash: string) => {
    const target = join(paths.checkouts, hexOf(hash));
    if (existsSync(target)) return target;
    const tmp = tmpPath('checkout');
    const listing = await dirListing(hash);
    assertSafeListing(hash, listing);
    await guardWrite(target, async () => {
      for (const [rel, fileHash] of listing) {
        await verifyObject(fileHash);
        const dest = join(tmp, rel);
        await mkdir(dirname(dest), { recursive: true });
        await link(objectPath(fileHash), dest).catch(() => copyFile(objectPath(fileHash), dest));
      }
      await mkdir(tmp, { recursive: true });
      await mkdir(paths.checkouts, { recursive: true });
      await rename(tmp, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another process materialised it first: theirs is identical.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
        await rm(tmp, { recursive: true, force: true });
      });
    }, [tmp]);
    return target;
  };

  /** Checked again right here, so a symlink swapped in since validation cannot redirect the write. */
  const confined = (target: string) => confinedPath(paths.root, relative(paths.root, target));

  const restoreFile = async (hash: string, target: string) => {
    const dest = await confined(target);
    const tmp = `${dest}.${uniqueSuffix()}.tradepipe-tmp`;
    await guardWrite(dest, async () => {
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(objectPath(hash), tmp, constants.COPYFILE_FICLONE);
      await chmod(tmp, 0o644);
      await rename(tmp, dest);
    }, [tmp]);
    await stats.remember(dest, hash);
  };

  /** Whether the object is stored: one stat, kept for `verify`; an object this process wrote needs none. */
  const has = (hash: string): boolean => {
    if (recent.has(hash)) return true;
    const found = statSync(objectPath(hash), { throwIfNoEntry: false });
    if (found) presentStats.set(hash, found);
    return found !== undefined;
  };

  return {
    paths,
    objectPath,
    has,
    statAhead(hashes) {
      const present = new Set<string>();
      for (const hash of hashes) if (!present.has(hash) && has(hash)) present.add(hash);
      return present;
    },
    putBytes,
    putFile,
    putDir,
    readBytes,
    dirListing,
    async verify(ref) {
      await verifyObject(ref.hash);
      if (ref.kind === 'dir') for (const [, fileHash] of await dirListing(ref.hash)) await verifyObject(fileHash);
    },
    materialize,
    async restore(ref, target) {
      if (ref.kind !== 'dir') return restoreFile(ref.hash, target);
      const listing = await dirListing(ref.hash);
      assertSafeListing(ref.hash, listing);
      const dir = await confined(target);
      await rm(dir, { recursive: true, force: true });
      for (const [rel, fileHash] of listing) await restoreFile(fileHash, join(dir, rel));
      await guardWrite(dir, () => mkdir(dir, { recursive: true }));
    },
    tmpPath,
    adopt: install,
    takeUnsynced() {
      const taken = unsynced;
      unsynced = [];
      return taken;
    },
  };
}

/** Writes a new read-only file and returns its stat, in four system calls. */
function writeSmall(path: string, bytes: Buffer): { size: number; mtimeMs: number; ino: number } {
  const fd = openSync(path, 'wx', 0o444);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A small file's bytes, read without leaving the main thread; undefined for a large one (read it asynchronously). */
function readSmall(path: string): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > SMALL_OBJECT) return undefined;
    const data = Buffer.allocUnsafe(size);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, data, at, size - at, at);
      if (n === 0) return data.subarray(0, at);
      at += n;
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

export class MissingObject extends Error {
  constructor(readonly hash: string) {
    super(`store object ${hash} is missing`);
  }
}
