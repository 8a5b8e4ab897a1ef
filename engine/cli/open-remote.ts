/** The remote a run or status reads through, chosen from tradepipe.yaml and the `--remote` flags; the remote code loads only when one is configured. */
import { InvalidInput } from '../errors.ts';
import type { Session } from '../cache-session.ts';
import { chooseRemote, loadRemotes, type RemoteConfig } from '../remote/config.ts';
import type { RemoteCache } from '../remote/cache.ts';
import { EXIT, Exit } from './exit.ts';
import { printInvalid } from './common.ts';
import { DEFAULT_JOBS, type RemoteFlag } from './remote-command.ts';

export const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);

export function chosen(root: string, flag: RemoteFlag | true): RemoteConfig | undefined {
  try {
    return chooseRemote(loadRemotes(root), flag === true ? undefined : flag);
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    printInvalid(error);
    throw new Exit(EXIT.invalid);
  }
}

/** The remote a run or status reads through (and a run writes behind to), if any. */
export async function openCliRemote(
  root: string,
  flag: RemoteFlag,
  session: Session,
  opts: { jobs?: number; signal?: AbortSignal; forceRead?: boolean } = {},
): Promise<RemoteCache | undefined> {
  const config = chosen(root, flag);
  if (!config) return undefined;
  const effective = opts.forceRead ? { ...config, read: true } : config;
  const [{ openBackend }, { openRemoteCache }] = await Promise.all([import('../remote/backend.ts'), import('../remote/cache.ts')]);
  return openRemoteCache(effective, await openBackend(config), session, {
    signingKey: signingKey(),
    jobs: opts.jobs ?? DEFAULT_JOBS,
    warn,
    signal: opts.signal,
  });
}

export function signingKey(): string | undefined {
  return process.env.TRADEPIPE_REMOTE_KEY || undefined;
}
