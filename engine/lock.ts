/**
 * One run at a time may mutate a project's store. A second `run` waits on the lock
 * and says who holds it. The lock goes stale when its holder stops refreshing it
 * (a hung holder), or at once when its holder's pid is gone (a crashed or killed run).
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { describeWriteError } from './write-errors.ts';

export interface Lock {
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  since: string;
  argv: string;
  /** Inode of the lock directory this owner created: an owner file left by an earlier lock never matches. */
  lockIno: number;
}

// Generous: a crashed holder is detected at once through its pid; staleness only
// matters for a hung holder or one on another host sharing the folder.
const STALE_MS = 60_000;

export async function acquireLock(store: string, lockPath: string, onWait: (message: string) => void, signal?: AbortSignal): Promise<Lock> {
  try {
    mkdirSync(store, { recursive: true });
  } catch (error) {
    throw await describeWriteError(error, store);
  }
  // Beside the lock directory, not in it: proper-lockfile checks the directory's mtime.
  const ownerFile = `${lockPath}.owner.json`;
  let told = false;
  for (;;) {
    try {
      const release = await lockfile.lock(store, {
        lockfilePath: lockPath,
        stale: STALE_MS,
        update: 5000,
        realpath: false,
        // A missed refresh on a busy machine must not crash the run; warn instead.
        onCompromised: (error) => onWait(`warning: project lock refresh failed: ${error.message}`),
      });
      const owner: Owner = { pid: process.pid, since: new Date().toISOString(), argv: process.argv.slice(2).join(' '), lockIno: statSync(lockPath).ino };
      writeFileSync(ownerFile, JSON.stringify(owner));
      return {
        async release() {
          rmSync(ownerFile, { force: true });
          // A lock compromised during the run (reported through onWait) is already gone.
          await release().catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ERELEASED') throw error;
          });
        },
      };
    } catch (error) {
      // A read-only or full `.tradepipe` cannot take the lock: say so plainly.
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw await describeWriteError(error, lockPath);
      const owner = currentOwner(ownerFile, lockPath);
      if (owner && !alive(owner.pid)) {
        // Its holder died without releasing it: remove it now instead of waiting for staleness.
        rmSync(lockPath, { recursive: true, force: true });
        rmSync(ownerFile, { force: true });
        continue;
      }
      if (!told) {
        const who = owner ? `pid ${owner.pid} (tradepipe ${owner.argv}) since ${owner.since}` : 'another process';
        onWait(`waiting for the project lock ${lockPath}, held by ${who}`);
        told = true;
      }
      if (signal?.aborted) throw new Error('cancelled while waiting for the project lock');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The owner of the lock directory as it is now, if its owner file belongs to it. */
function currentOwner(ownerFile: string, lockPath: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as Owner;
    return owner.lockIno === statSync(lockPath).ino ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
