/** The commit a run used, for tracking and reports. Outside a git checkout both are undefined. */
import { execFileSync } from 'node:child_process';

export interface GitInfo {
  commit?: string;
  dirty?: boolean;
}

export function gitInfo(cwd: string): GitInfo {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    return { commit, dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return {};
  }
}
