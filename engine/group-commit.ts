/**
 * Group commit of small metadata files (run records, step pointers, run summaries), with
 * one fsync per batch. A write is queued and resolves once it is durable; writes queued
 * while a batch commits form the next batch, so a busy run pays one fsync per batch and
 * a lone write commits at once.
 *
 * A batch commits through a write-ahead journal (`.tradepipe/journal-<host>-<pid>.log`):
 *   1. large new store objects are fsynced; small ones, and every file of the batch, are
 *      appended to the journal as one checksummed line, and the journal is fdatasynced:
 *      this is the batch's one durability barrier;
 *   2. the files are written to temp files (together, on libuv's thread pool, so the run
 *      goes on meanwhile) and renamed into place in the order they were written, without
 *      fsync: only now can another process see them, so a record is never visible before
 *      the objects it names are durable, nor a pointer before its record.
 * At `flush()` (the end of a run) the published files are made durable in one go (syncfs
 * through `sync -f`, else an fsync of each, issued together) and the journal is deleted.
 * A journal left by a process that died (kill -9, power loss) is replayed when a project
 * is opened: each file it holds that is missing or differs is rewritten (temp + rename),
 * a torn last line is ignored (its files were never published), then the journal goes.
 * A kill -9 at any point therefore leaves every file whole or absent, and nothing that a
 * resolved write promised is lost.
 */
import { closeSync, existsSync, fdatasync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { uniqueSuffix } from './temp-name.ts';
import { describeWriteError } from './write-errors.ts';
import { alive } from './process-alive.ts';

const fsyncAsync = promisify(fsync);
const fdatasyncAsync = promisify(fdatasync);
const execFileAsync = promisify(execFile);

/** At most this many files in one batch: bounds the memory a batch holds. */
const MAX_BATCH = 1024;
/** A journal this long is checkpointed mid-run, so a replay stays quick. */
const CHECKPOINT_BYTES = 32 * 1024 * 1024;
/** From this many files a checkpoint uses one syncfs instead of an fsync each. */
const SYNCFS_FROM = 64;
/** fsyncs in flight at once (libuv runs four at a time; more only queue). */
const PARALLEL_SYNCS = 16;

/** A store object installed but not fsynced: `bytes` when it is small enough to go into the journal. */
export interface UnsyncedObject {
  path: string;
  bytes?: Uint8Array | string;
}

interface Pending {
  data: string;
  waiters: { resolve(): void; reject(error: unknown): void }[];
}

export interface GroupCommit {
  /** Queues `data` for `path` (a later write of the same path in the same batch wins); resolves once it is durable. */
  write(path: string, data: string): Promise<void>;
  /** Commits what is queued (each write's promise says whether it failed), then makes the published files durable and deletes the journal. */
  flush(): Promise<void>;
}

/** One journal line: sha256 of the JSON, then the JSON. Paths are relative to the store folder, so a moved project replays. */
interface Frame {
  /** Text files: [path, content]. */
  files: [string, string][];
  /** Small store objects: [path, base64 bytes]. */
  objects: [string, string][];
}

/**
 * `storeDir` holds the journal; `prerequisites` returns (once per batch) the store objects
 * that must be durable before the batch's files become visible.
 */
export function openGroupCommit(storeDir: string, prerequisites: () => UnsyncedObject[] = () => []): GroupCommit {
  replayJournals(storeDir);
  const journalPath = join(storeDir, `journal-${encodeURIComponent(hostname())}-${process.pid}.log`);
  const queued = new Map<string, Pending>();
  let committing: Promise<void> | undefined;
  let journal: { fd: number; bytes: number } | undefined;
  /** Files published since the last checkpoint, made durable by the next one. */
  let published = new Set<string>();
  let checkpointWanted = false;
  let checkpointFailure: unknown;
  const folders = new Map<string, Promise<unknown>>();

  const openJournal = () => {
    if (journal) return journal;
    mkdirSync(storeDir, { recursive: true });
    journal = { fd: openSync(journalPath, 'a'), bytes: 0 };
    return journal;
  };

  const commitBatch = async (batch: [string, Pending][], objects: UnsyncedObject[]) => {
    const frame: Frame = { files: batch.map(([path, p]) => [relative(storeDir, path), p.data]), objects: [] };
    const large: string[] = [];
    for (const o of objects) {
      if (o.bytes === undefined) large.push(o.path, dirname(o.path));
      else frame.objects.push([relative(storeDir, o.path), Buffer.from(o.bytes).toString('base64')]);
    }
    const json = JSON.stringify(frame);
    const line = `${createHash('sha256').update(json).digest('hex')}${json}\n`;
    const label = batch[0]?.[0] ?? journalPath;
    try {
      const j = openJournal();
      writeAll(j.fd, line);
      j.bytes += line.length;
      await Promise.all([fdatasyncAsync(j.fd), syncAll(large)]);
    } catch (error) {
      throw await describeWriteError(error, label);
    }
    for (const o of objects) if (o.bytes !== undefined) published.add(o.path);
    await publishAll(batch, folders, (path) => published.add(path));
  };

  const checkpoint = async () => {
    if (!journal) return;
    const files = [...published];
    published = new Set();
    await syncFileSystem(storeDir, files);
    closeSync(journal.fd);
    journal = undefined;
    rmSync(journalPath, { force: true });
  };

  // One loop does every commit and checkpoint, so a checkpoint never closes the journal under a batch.
  const commitQueued = async () => {
    while (queued.size > 0 || checkpointWanted) {
      if (queued.size === 0 || (journal && journal.bytes > CHECKPOINT_BYTES)) {
        checkpointWanted = false;
        await checkpoint().catch((error: unknown) => (checkpointFailure ??= error));
        continue;
      }
      const batch = [...queued].slice(0, MAX_BATCH);
      for (const [path] of batch) queued.delete(path);
      try {
        await commitBatch(batch, prerequisites());
        for (const [, p] of batch) for (const w of p.waiters) w.resolve();
      } catch (error) {
        for (const [, p] of batch) for (const w of p.waiters) w.reject(error);
      }
    }
    committing = undefined;
  };
  const start = () => {
    // Started on the next turn, so writes queued in the same turn share the batch.
    committing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(commitQueued);
    return committing;
  };

  return {
    write(path, data) {
      return new Promise<void>((resolve, reject) => {
        const pending = queued.get(path) ?? { data, waiters: [] };
        pending.data = data;
        pending.waiters.push({ resolve, reject });
        queued.set(path, pending);
        void start();
      });
    },
    async flush() {
      checkpointWanted = true;
      while (committing ?? (queued.size > 0 || checkpointWanted)) await start();
      const failed = checkpointFailure;
      checkpointFailure = undefined;
      if (failed !== undefined) throw failed;
    },
  };
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

const tempFor = (path: string) => join(dirname(path), `.${basename(path)}.${uniqueSuffix()}.tmp`);

/**
 * Publishes a batch's files (no fsync: the journal holds the bytes until the checkpoint):
 * every temp file is written at once on libuv's pool, then they are renamed in order.
 * On failure no temp file is left and the error names the file; `renamed` hears of each file
 * published before it, as those must still be made durable.
 */
async function publishAll(files: readonly [string, Pending][], folders: Map<string, Promise<unknown>>, renamed: (path: string) => void): Promise<void> {
  const temps = files.map(([path]) => tempFor(path));
  const folder = (dir: string) => {
    let made = folders.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      folders.set(dir, made);
    }
    return made;
  };
  let done = 0;
  try {
    const written = await Promise.allSettled(files.map(async ([path, { data }], i) => {
      try {
        await folder(dirname(path));
        await writeFile(temps[i]!, data, { mode: 0o644 });
      } catch (error) {
        throw await describeWriteError(error, path);
      }
    }));
    const failed = written.find((w) => w.status === 'rejected');
    if (failed) throw failed.reason;
    for (; done < files.length; done++) {
      const path = files[done]![0];
      try {
        renameSync(temps[done]!, path);
      } catch (error) {
        throw await describeWriteError(error, path);
      }
      renamed(path);
    }
  } catch (error) {
    // A folder that failed to appear may appear on a later try.
    for (const [path] of files) if (!existsSync(dirname(path))) folders.delete(dirname(path));
    await Promise.all(temps.slice(done).map((tmp) => rm(tmp, { force: true })));
    throw error;
  }
}

/** Writes `path` through a sibling temp file and a rename (a journal's replay: one file at a time). */
function publish(path: string, data: string | Buffer, folders: Set<string>, mode = 0o644): void {
  const dir = dirname(path);
  if (!folders.has(dir)) {
    mkdirSync(dir, { recursive: true });
    folders.add(dir);
  }
  const tmp = tempFor(path);
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Makes `files` durable. A few (a run summary, a watch cycle) are fsynced one by one; many
 * in one syncfs where `sync -f` exists, which waits for the whole file system's dirty data,
 * so it is worth it only when that saves many fsyncs.
 */
async function syncFileSystem(storeDir: string, files: string[]): Promise<void> {
  const each = () => syncAll([...files, ...new Set(files.map((f) => dirname(f)))]);
  if (files.length <= SYNCFS_FROM) return each();
  await execFileAsync('sync', ['-f', storeDir]).catch(each);
}

/** fsyncs every path (files and folders), a bounded number at a time. */
async function syncAll(paths: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      // Opening and closing take microseconds here; only the fsync itself waits on the disk, off the main thread.
      let fd: number;
      try {
        fd = openSync(paths[next++]!, 'r');
      } catch (error) {
        // Removed since (gc, a quarantined object): nothing left to make durable.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      try {
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_SYNCS, paths.length) }, worker));
}

/** Replays the journals of processes on this host that are gone; a live writer's journal is left to it. */
function replayJournals(storeDir: string): void {
  if (!existsSync(storeDir)) return;
  const host = encodeURIComponent(hostname());
  for (const name of readdirSync(storeDir)) {
    const match = /^journal-(.+)-(\d+)\.log$/.exec(name);
    if (!match || match[1] !== host || alive(Number(match[2]))) continue;
    const path = join(storeDir, name);
    const folders = new Set<string>();
    const rewritten: string[] = [];
    const restore = (rel: string, bytes: Buffer, mode: number) => {
      const file = join(storeDir, rel);
      if (isAbsolute(rel) || relative(storeDir, file).startsWith('..') || sameBytes(file, bytes)) return;
      publish(file, bytes, folders, mode);
      rewritten.push(file, dirname(file));
    };
    // Two commands opened at once may both replay it: the rewrites are the same bytes, and whichever unlinks second finds it gone.
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const frame of readFrames(text)) {
      for (const [rel, base64] of frame.objects) restore(rel, Buffer.from(base64, 'base64'), 0o444);
      for (const [rel, data] of frame.files) restore(rel, Buffer.from(data), 0o644);
    }
    // What was rewritten is durable before the journal that held it goes (only after a crash: one fsync each is fine).
    for (const p of new Set(rewritten)) {
      const fd = openSync(p, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
    rmSync(path, { force: true });
  }
}

/** The whole frames of a journal; a line torn by a crash (no newline, or a checksum that fails) ends it. */
export function readFrames(text: string): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  for (let end = text.indexOf('\n'); end >= 0; at = end + 1, end = text.indexOf('\n', at)) {
    const sum = text.slice(at, at + 64);
    const json = text.slice(at + 64, end);
    if (createHash('sha256').update(json).digest('hex') !== sum) break;
    frames.push(JSON.parse(json) as Frame);
  }
  return frames;
}

function sameBytes(path: string, bytes: Buffer): boolean {
  try {
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}
