/** Small durable-file helpers shared by the ship state, the local store and the filesystem registry. */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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
