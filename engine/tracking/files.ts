/** Small durable-file helpers shared by the ship state, the local store and the filesystem registry. */
import { closeSync, fdatasync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { lock } from 'proper-lockfile';
import { writeFileAtomic } from '../atomic.ts';

/** Readers see the old or the new content, never half (temp file, fsync, rename). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

export async function readJson<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  return JSON.parse(text) as T;
}

const fdatasyncAsync = promisify(fdatasync);

function openForAppend(path: string): number {
  try {
    return openSync(path, 'a+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'a+');
  }
}

/**
 * Appends `text` (whole lines, ending in a newline) to a line log and fdatasyncs it, in
 * one write. A torn last line left by a crash is closed off first, so it stays one
 * unparsable line instead of swallowing the first new one. Returns the bytes written.
 * The sync runs off the main thread, so the engine keeps working while the disk syncs.
 */
export async function appendLines(path: string, text: string): Promise<number> {
  const fd = openForAppend(path);
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const bytes = Buffer.from(torn ? '\n' + text : text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    await fdatasyncAsync(fd);
    return bytes.length;
  } finally {
    closeSync(fd);
  }
}

/** The JSON values of a line log, one per line; unparsable lines (a torn write) are skipped. */
export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A write cut short by a crash: the shipper sends that data again.
    }
  }
  return out;
}

/** A line log's text, or '' when it does not exist. */
export async function readLog(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Runs `fn` holding an inter-process lock on `path` (the file need not exist). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const release = await lock(path, {
    realpath: false,
    stale: 15_000,
    retries: { retries: 200, minTimeout: 20, maxTimeout: 250 },
    onCompromised: () => {
      // The lock went stale under us (a very long stall); the work it guards is idempotent.
    },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
