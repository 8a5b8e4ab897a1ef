/** The commit a run used, for tracking and reports. Outside a git checkout both are undefined. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export interface GitInfo {
  commit?: string;
  dirty?: boolean;
}

const COMMIT = ['rev-parse', 'HEAD'];
const STATUS = ['status', '--porcelain', '--untracked-files=no'];

export function gitInfo(cwd: string): GitInfo {
  const git = (args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(COMMIT);
    return { commit, dirty: git(STATUS) !== '' };
  } catch {
    return {};
  }
}

const execFileAsync = promisify(execFile);

/** The same, asked in the background (both questions at once), so a run's start need not wait for git. */
export async function gitInfoLater(cwd: string): Promise<GitInfo> {
  const git = async (args: string[]) => (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout.trim();
  try {
    const [commit, status] = await Promise.all([git(COMMIT), git(STATUS)]);
    return { commit, dirty: status !== '' };
  } catch {
    return {};
  }
}
