/** The `watch` command's definition; its implementation (engine/cli/watch.ts) loads when it runs. */
import { InvalidArgumentError, type Command } from 'commander';
import { collect, EXIT, Exit } from './exit.ts';
import type { WatchFlags } from './watch.ts';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('Run a pipeline, then rerun the steps each edit affects: the pipeline and the YAML it references, file deps, plugin code.')
    .argument('<file>', 'pipeline file')
    .argument('[steps...]', 'keep only these steps, and what they need, up to date')
    .option('-j, --jobs <n>', 'steps to run at once (default: CPU cores)', count(1))
    .option('-k, --keep-going', 'after a failure, keep running steps that do not depend on it')
    .option('--json', 'one JSON line per cycle: the `run --json` result plus `trigger`')
    .option('-S, --set <step.param=value>', 'override a param (repeatable)', collect, [])
    .option('--debounce <ms>', 'quiet time that ends a burst of file events', count(0), 200)
    .option('-v, --verbose', 'show step logs')
    .action(async (file: string, steps: string[], flags: WatchFlags) => {
      const { watchCommand } = await import('./watch.ts');
      const code = await watchCommand(file, steps, flags);
      if (code !== EXIT.ok) throw new Exit(code);
    });
}

/** A commander parser for an integer flag of at least `min`. */
function count(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

