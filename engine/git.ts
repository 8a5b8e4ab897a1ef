/** The commit a run used, for tracking and reports. Outside a git checkout both are undefined. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export interface GitInfo {
  commit?: string;
  dirty?: boolean;
}

/** One git process answers both: the `# branch.oid` header is the commit, any other line a tracked change. */
const STATUS = ['status', '--porcelain=v2', '--branch', '--untracked-files=no'];

/** `git status` output as GitInfo; a branch with no commit yet has none to name (as outside a checkout). */
function parseStatus(output: string): GitInfo {
  const lines = output.split('\n').filter((line) => line !== '');
  const commit = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  if (commit === undefined || commit === '(initial)') return {};
  return { commit, dirty: lines.some((line) => !line.startsWith('# ')) };
}

export function gitInfo(cwd: string): GitInfo {
  try {
    return parseStatus(execFileSync('git', STATUS, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return {};
  }
}

const execFileAsync = promisify(execFile);

/** The same, asked in the background, so a run's start need not wait for git. */
export async function gitInfoLater(cwd: string): Promise<GitInfo> {
  try {
    return parseStatus((await execFileAsync('git', STATUS, { cwd, encoding: 'utf8' })).stdout);
  } catch {
    return {};
  }
}
