/**
 * One run at a time may mutate a project's store. A second `run` waits on the lock
 * and says who holds it. A holder on this host keeps its lock for as long as its pid
 * lives, however late its refreshes are (a busy event loop is not a dead holder);
 * a dead holder's lock is broken at once. Only a holder on another host sharing the
 * folder is judged by its refreshes: its lock goes stale when it stops refreshing it.
 *
 * proper-lockfile takes the lock (an atomic mkdir) and refreshes its mtime; it is given a file
 * system whose mkdir puts the owner record inside that directory, so a waiter reads the owner
 * of the lock as it is now, never one left by an earlier lock (an inode number can be reused).
 */
import { randomUUID } from 'node:crypto';
import fs, { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { describeWriteError } from './write-errors.ts';
import { alive } from './process-alive.ts';

export interface Lock {
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
  argv: string;
  /** Names this acquisition: breaking a lock removes only the one judged dead. */
  token: string;
}

const OWNER_FILE = 'owner.json';

// Only for a holder on another host, whose pid cannot be checked.
const STALE_MS = 60_000;
// proper-lockfile must never break a lock by its mtime alone: whether a holder is gone is decided here.
const NEVER_STALE_MS = Number.MAX_SAFE_INTEGER;

export async function acquireLock(store: string, lockPath: string, onWait: (message: string) => void, signal?: AbortSignal): Promise<Lock> {
  try {
    mkdirSync(store, { recursive: true });
  } catch (error) {
    throw await describeWriteError(error, store);
  }
  let told = false;
  let ownerless = false;
  for (;;) {
    const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), argv: process.argv.slice(2).join(' '), token: randomUUID() };
    try {
      const release = await lockfile.lock(store, {
        lockfilePath: lockPath,
        fs: ownedLockFs(owner),
        stale: NEVER_STALE_MS,
        update: 5000,
        realpath: false,
        // A lock removed by hand must not crash the run; warn instead.
        onCompromised: (error) => onWait(`warning: project lock refresh failed: ${error.message}`),
      });
      return {
        async release() {
          // A lock compromised during the run (reported through onWait) is already gone.
          await release().catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ERELEASED') throw error;
          });
        },
      };
    } catch (error) {
      // A read-only or full `.tradepipe` cannot take the lock: say so plainly.
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw await describeWriteError(error, lockPath);
      const holder = readOwner(lockPath);
      if (holder !== 'gone' && isAbandoned(holder, lockPath)) {
        breakLock(lockPath, holder);
        continue;
      }
      // A lock directory without its owner record yet is most likely one being taken this instant (the record
      // follows the mkdir): ask again before calling its holder unknown.
      if (!told && holder !== 'gone' && (holder !== undefined || ownerless)) {
        const who = holder ? `pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (tradepipe ${holder.argv}) since ${holder.since}` : 'another process';
        onWait(`waiting for the project lock ${lockPath}, held by ${who}`);
        told = true;
      }
      ownerless = holder === undefined;
      if (signal?.aborted) throw new Error('cancelled while waiting for the project lock');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * proper-lockfile's file system for one acquisition: the lock directory gets the owner record
 * right after it is made, and is removed only while it is still this acquisition's.
 */
function ownedLockFs(owner: Owner) {
  const done = (cb: (error: NodeJS.ErrnoException | null) => void, work: () => void) => {
    try {
      work();
      cb(null);
    } catch (error) {
      cb(error as NodeJS.ErrnoException);
    }
  };
  const createSync = (path: string) => {
    mkdirSync(path);
    try {
      // Written before proper-lockfile first reads the directory's mtime, so it counts as the lock's own.
      writeFileSync(join(path, OWNER_FILE), JSON.stringify(owner));
    } catch (error) {
      // A full disk: leave no lock without an owner behind.
      rmSync(path, { recursive: true, force: true });
      throw error;
    }
  };
  const removeSync = (path: string) => {
    const current = readOwner(path);
    if (current !== 'gone' && current?.token === owner.token) removeLockDir(path);
  };
  return {
    ...fs,
    mkdir: (path: string, cb: (error: NodeJS.ErrnoException | null) => void) => done(cb, () => createSync(path)),
    rmdir: (path: string, cb: (error: NodeJS.ErrnoException | null) => void) => done(cb, () => removeSync(path)),
    // proper-lockfile's exit hook releases what the process still holds.
    rmdirSync: removeSync,
  };
}

/** The owner of the lock as it is now; undefined for a lock without a readable record, 'gone' when there is no lock. */
function readOwner(lockPath: string): Owner | undefined | 'gone' {
  try {
    return JSON.parse(readFileSync(join(lockPath, OWNER_FILE), 'utf8')) as Owner;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return existsAsDir(lockPath) ? undefined : 'gone';
    return undefined;
  }
}

function existsAsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A holder on this host is gone when its pid is; anything else when it has not refreshed the lock for STALE_MS. */
function isAbandoned(holder: Owner | undefined, lockPath: string): boolean {
  if (holder && holder.host === hostname()) return !alive(holder.pid);
  try {
    return statSync(lockPath).mtimeMs < Date.now() - STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Removes the lock judged abandoned, and only that one: it is moved aside first (atomic), and a
 * newer lock that took its place in the meantime is put back.
 */
function breakLock(lockPath: string, judged: Owner | undefined): void {
  const aside = `${lockPath}.broken-${randomUUID()}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readOwner(aside);
  const same = moved !== 'gone' && moved?.token === judged?.token;
  if (!same) {
    try {
      renameSync(aside, lockPath);
      return;
    } catch {
      // Yet another lock holds the path now; the one moved aside has lost it either way.
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

function removeLockDir(path: string): void {
  const aside = `${path}.gone-${randomUUID()}`;
  renameSync(path, aside);
  rmSync(aside, { recursive: true, force: true });
}
