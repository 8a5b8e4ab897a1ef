import { homedir } from 'node:os';
import { join } from 'node:path';

/** Downloads kept across projects: $TRADEPIPE_CACHE_DIR, else $XDG_CACHE_HOME/tradepipe, else ~/.cache/tradepipe. */
export function userCacheDir(): string {
  if (process.env.TRADEPIPE_CACHE_DIR) return process.env.TRADEPIPE_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tradepipe');
}
