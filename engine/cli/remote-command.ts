/** The remote options and `push`/`pull` definitions; their implementation (engine/cli/remote.ts) loads when a command runs. */
import type { Command } from 'commander';
import { Exit } from './exit.ts';
import type { SyncFlags } from './remote.ts';

/** commander's value for `--remote <name>` with `--no-remote`: a name, false, or unset. */
export type RemoteFlag = string | false | undefined;

export const DEFAULT_JOBS = 8;

export function addRemoteOptions(command: Command): Command {
  return command
    .option('--remote <name>', 'use this remote from tradepipe.yaml (default: the one marked `default`, else the first)')
    .option('--no-remote', 'use no remote, whatever tradepipe.yaml says');
}

export function registerRemote(program: Command): void {
  const sync = (name: 'push' | 'pull', description: string, action: 'pushCommand' | 'pullCommand') =>
    program
      .command(name)
      .description(description)
      .argument('[file]', 'pipeline file (without one: the records `gc` keeps)')
      .argument('[steps...]', 'only these steps and what they need')
      .option('-j, --jobs <n>', `objects to transfer at once (default ${DEFAULT_JOBS})`)
      .option('--remote <name>', 'the remote from tradepipe.yaml (default: the one marked `default`, else the first)')
      .option('--keep <n>', 'without a file: runs per pipeline whose records count, as for gc', '5')
      .action(async (file: string | undefined, steps: string[], flags: SyncFlags) => {
        const code = await (await import('./remote.ts'))[action](file, steps, flags);
        if (code !== 0) throw new Exit(code);
      });
  sync('push', "Upload the pipeline's current results (objects, then records) to the remote.", 'pushCommand');
  sync('pull', "Download the results the remote holds for the pipeline's current keys, verified.", 'pullCommand');
}
