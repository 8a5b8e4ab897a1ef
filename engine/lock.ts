/**
 * One run at a time may mutate a project's store. A second `run` waits on the lock
 * and says who holds it. The lock goes stale when its holder stops refreshing it
 * (a crashed or killed run), or at once when its holder's pid is gone.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

export interface Lock {
  release(): Promise<void>;
}

// Generous: a crashed holder is detected at once through its pid; staleness only
// matters for a hung holder or one on another host sharing the folder.
const STALE_MS = 60_000;

export async function acquireLock(store: string, lockPath: string, onWait: (message: string) => void, signal?: AbortSignal): Promise<Lock> {
  mkdirSync(store, { recursive: true });
  // Inside the lock directory, so a new lock never shows a previous holder's pid.
  const ownerFile = join(lockPath, 'owner.json');
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
      writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, since: new Date().toISOString(), argv: process.argv.slice(2).join(' ') }));
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
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      const owner = readOwner(ownerFile);
      if (owner && !alive(owner.pid)) {
        // Its holder died without releasing it: remove it now instead of waiting for staleness.
        rmSync(lockPath, { recursive: true, force: true });
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

function readOwner(file: string): { pid: number; since: string; argv: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
