/**
 * A failed write told to people: a full disk (ENOSPC, or EDQUOT for a quota) names
 * the path and the free space left on its file system; a read-only file system or a
 * denied write says so. Callers remove their temp files before rethrowing, so what a
 * failed write leaves behind is exactly what was there before it.
 */
import { statfsSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { displayPath } from './project.ts';
import { formatBytes } from './format.ts';

/** Stable codes of write failures. */
export const NO_SPACE = 'E_NO_SPACE';
export const READ_ONLY = 'E_READ_ONLY';

export class WriteFailed extends Error {
  constructor(
    readonly code: typeof NO_SPACE | typeof READ_ONLY,
    readonly path: string,
    message: string,
    readonly errno: string,
  ) {
    super(`${message} [${code}]`);
    this.name = 'WriteFailed';
  }
}

const FULL = new Set(['ENOSPC', 'EDQUOT']);
const DENIED = new Set(['EROFS', 'EACCES', 'EPERM']);

type FreeBytes = (path: string) => number | undefined;

/** Free bytes (for unprivileged users) on the file system of `path`, or of its nearest existing folder. */
const freeBytesSync: FreeBytes = (path) => {
  for (let at = path; ; at = dirname(at)) {
    try {
      const s = statfsSync(at);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
};

async function freeBytes(path: string): Promise<number | undefined> {
  for (let at = path; ; at = dirname(at)) {
    try {
      const s = await statfs(at);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

function explain(error: unknown, path: string, free: number | undefined, what?: string): unknown {
  if (error instanceof WriteFailed) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const shown = what ?? displayPath(path);
  if (FULL.has(errno)) {
    const what = errno === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on device';
    const left = free === undefined ? 'free space unknown' : `${formatBytes(free)} free on its file system`;
    return new WriteFailed(NO_SPACE, path, `cannot write ${shown}: ${what} (${errno}; ${left}); free some space and run again`, errno);
  }
  if (DENIED.has(errno)) {
    const what = errno === 'EROFS' ? 'the file system is read-only' : 'permission denied';
    return new WriteFailed(READ_ONLY, path, `cannot write ${shown}: ${what} (${errno})`, errno);
  }
  return error;
}

/** `error` as a WriteFailed when it is a full or read-only file system; any other error unchanged. `what` names the write when the path alone would not. */
export async function describeWriteError(error: unknown, path: string, what?: string): Promise<unknown> {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return explain(error, path, FULL.has(errno) ? await freeBytes(path) : undefined, what);
}

export function describeWriteErrorSync(error: unknown, path: string): unknown {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return explain(error, path, FULL.has(errno) ? freeBytesSync(path) : undefined);
}

/**
 * Runs a write of `path`; when it fails, removes `leftovers` (its temp files) and
 * throws the described error.
 */
export async function guardWrite<T>(path: string, write: () => Promise<T>, leftovers: readonly string[] = [], what?: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    for (const tmp of leftovers) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw await describeWriteError(error, path, what);
  }
}
