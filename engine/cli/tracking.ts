/** `tradepipe runs|models|track`: tracked runs and the model registry, from engine/tracking/commands. */
import { resolve, join } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { Exit } from './exit.ts';
import type { CommandIO } from '../tracking/commands/common.ts';

async function io(project: string): Promise<CommandIO> {
  const [{ findProjectRoot, projectPaths }, { openStatCache }, { openStore }] = await Promise.all([import('../project.ts'), import('../statcache.ts'), import('../store.ts')]);
  const abs = resolve(project);
  const root = findProjectRoot(statSync(abs).isDirectory() ? join(abs, 'pipeline.yaml') : abs);
  const paths = projectPaths(root);
  return { store: openStore(paths, openStatCache(paths.statCache)), env: process.env, stdout: process.stdout, stderr: process.stderr };
}

async function done(code: Promise<number>): Promise<void> {
  const c = await code;
  if (c !== 0) throw new Exit(c);
}

export function registerTracking(program: Command): void {
  const project = ['-C, --project <path>', 'project folder or pipeline file', '.'] as const;
  const runs = program.command('runs').description('Tracked pipeline and step runs (MLflow, or the embedded store when MLFLOW_TRACKING_URI is unset).');
  runs
    .command('list')
    .description('Recent runs, newest first.')
    .option('--experiment <name>', 'only this experiment')
    .option('-n, --limit <n>', 'how many', '20')
    .option(...project)
    .action(async (flags: { experiment?: string; limit: string; project: string }) => {
      const { runsList } = await import('../tracking/commands/runs.ts');
      await done(runsList({ experiment: flags.experiment, limit: Number(flags.limit) }, await io(flags.project)));
    });
  runs
    .command('show')
    .description('One run: tags, params, final metrics, artifacts.')
    .argument('<run>', 'run id or local run id')
    .option(...project)
    .action(async (run: string, flags: { project: string }) => {
      const { runsShow } = await import('../tracking/commands/runs.ts');
      await done(runsShow({ run }, await io(flags.project)));
    });
  runs
    .command('compare')
    .description('Params and final metrics side by side, with the differences.')
    .argument('<runs...>', 'two or more run ids')
    .option(...project)
    .action(async (ids: string[], flags: { project: string }) => {
      const { runsCompare } = await import('../tracking/commands/runs.ts');
      await done(runsCompare({ runs: ids }, await io(flags.project)));
    });

  const models = program.command('models').description('The model registry (MLflow, or the filesystem registry in the store).');
  models
    .command('list')
    .description('Registered models with their latest version and aliases.')
    .option(...project)
    .action(async (flags: { project: string }) => {
      const { modelsList } = await import('../tracking/commands/models.ts');
      await done(modelsList({}, await io(flags.project)));
    });
  models
    .command('show')
    .description('Every version of a model, its source and aliases.')
    .argument('<name>')
    .option(...project)
    .action(async (name: string, flags: { project: string }) => {
      const { modelsShow } = await import('../tracking/commands/models.ts');
      await done(modelsShow({ name }, await io(flags.project)));
    });
  models
    .command('promote')
    .description('Point an alias (champion, challenger) at a version.')
    .argument('<name>')
    .argument('<version>')
    .requiredOption('--alias <alias>', 'alias to set, e.g. champion')
    .option(...project)
    .action(async (name: string, version: string, flags: { alias: string; project: string }) => {
      const { modelsPromote } = await import('../tracking/commands/models.ts');
      await done(modelsPromote({ name, version, alias: flags.alias }, await io(flags.project)));
    });

  program
    .command('track')
    .description('Tracking maintenance.')
    .command('sync')
    .description('Ship every pending tracking record (after an outage, or to upload local history to a server).')
    .option('--timeout <seconds>', 'give up after this long', '600')
    .option(...project)
    .action(async (flags: { timeout: string; project: string }) => {
      const { trackSync } = await import('../tracking/commands/sync.ts');
      await done(trackSync({ timeoutS: Number(flags.timeout) }, await io(flags.project)));
    });
}
