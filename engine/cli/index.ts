/** The `tradepipe` command line. Each command lives in its own module. */
/** Command modules are imported by their actions, so `--help` and argument errors load only commander. */
import { resolve, join, dirname } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { collect, EXIT, Exit } from './exit.ts';
import type { DagFormat } from './dag.ts';
import { registerWatch } from './watch-command.ts';
import type { WorkerFlags } from './temporal.ts';
import { registerTracking } from './tracking.ts';
import { print } from './output.ts';
import { registerUi } from './ui.ts';
import { registerSchedule } from './schedule-command.ts';
import { registerExport } from './export-command.ts';
import { registerMetrics } from './metrics.ts';
import { addRemoteOptions, registerRemote, type RemoteFlag } from './remote-command.ts';

const program = new Command('tradepipe')
  .description('Declarative YAML pipelines for trading research, cached by content hash.')
  .version(version(), '-V, --version')
  .showHelpAfterError()
  .exitOverride();

function version(): string {
  return (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

addRemoteOptions(program
  .command('run')
  .description('Run a pipeline: only steps whose inputs changed execute; the rest come from the cache.')
  .argument('<file>', 'pipeline file')
  .argument('[steps...]', 'run only these steps and what they need')
  .option('-j, --jobs <n>', 'steps to run at once (default: CPU cores)')
  .option('-k, --keep-going', 'after a failure, keep running steps that do not depend on it')
  .option('--from <step>', 'force this step and everything downstream of it')
  .option('--force <step>', 'force this step (repeatable)', collect, [])
  .option('-n, --dry-run', 'print the plan (what would run and why) without running')
  .option('--json', 'print one JSON document with each step\'s result')
  .option('-S, --set <step.param=value>', 'override a param (repeatable), e.g. --set train.learning_rate=0.0003', collect, [])
  .option('--resource <name=n>', 'capacity of a resource tag (repeatable; default 1 each), e.g. --resource gpu=2', collect, [])
  .option('-v, --verbose', 'show step logs')
  .option('--no-track', 'do not record this run (MLflow or the embedded store); also TRADEPIPE_TRACKING=off')
  .option('--pushgateway <url>', 'push the pipeline\'s metrics to this Prometheus Pushgateway after the run; also PROMETHEUS_PUSHGATEWAY_URL')
  .addOption(new Option('--executor <executor>', 'where steps execute: here, or on Temporal workers (tradepipe.yaml `executor:`)').choices(['local', 'temporal']).default('local'))
  .option('--cancel-running', 'with --executor temporal: cancel a workflow of this pipeline that is still running, instead of following or waiting for it'))
  .action(async (file: string, steps: string[], flags) => {
    const { runCommand } = await import('./run.ts');
    exit(await runCommand(file, steps, flags));
  });

program
  .command('worker')
  .description('Execute steps of `run --executor temporal` runs: polls the Temporal task queue until Ctrl-C.')
  .option('--task-queue <queue>', 'the queue to poll (default: `executor.task_queue`; a resource tag adds `-<tag>`, e.g. tradepipe-gpu)')
  .option('--concurrency <n>', 'steps to run at once (default 1)')
  .action(async (flags: WorkerFlags) => exit(await (await import('./temporal.ts')).workerCommand(flags)));

addRemoteOptions(program
  .command('status')
  .description('List every step as up-to-date or stale, with the reason.')
  .argument('<file>', 'pipeline file')
  .option('--json', 'machine-readable output')
  .option('-S, --set <step.param=value>', 'evaluate with a param override (repeatable)', collect, [])
  .option('--explain <step>', 'every cache key input of a step, now and at its last run, differences marked'))
  .action(async (file: string, flags: { json?: boolean; set: string[]; explain?: string; remote: RemoteFlag }) => {
    const [{ load }, { openCliRemote }, { openSession }] = await Promise.all([import('./common.ts'), import('./open-remote.ts'), import('../cache-session.ts')]);
    const pipeline = await load(file, flags.set);
    const remote = await openCliRemote(pipeline.root, flags.remote, openSession(pipeline.root));
    if (flags.explain) {
      const { explainCommand } = await import('./explain.ts');
      return exit(await explainCommand(pipeline, flags.explain, flags.json === true, remote));
    }
    const { planPipeline, planJson, planText } = await import('./plan.ts');
    const { order, decisions } = await planPipeline(pipeline, {}, remote);
    await print(flags.json ? JSON.stringify({ pipeline: pipeline.name, steps: planJson(order, decisions) }, null, 2) + '\n' : planText(order, decisions) + '\n');
  });

program
  .command('dag')
  .description('Print the step graph.')
  .argument('<file>', 'pipeline file')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'dot', 'mermaid', 'json']).default('text'))
  .action(async (file: string, flags: { format: DagFormat }) => {
    const [{ load }, { renderDag }] = await Promise.all([import('./common.ts'), import('./dag.ts')]);
    await print(renderDag(await load(file), flags.format) + '\n');
  });

program
  .command('validate')
  .description('Check a pipeline (YAML, schema, plugins, params, wiring, cycles) without running anything.')
  .argument('<file>', 'pipeline file')
  .action(async (file: string) => {
    const { load } = await import('./common.ts');
    const p = await load(file);
    await print(`${file}: valid (${p.steps.size} steps)\n`);
  });

program
  .command('show')
  .description('Print a stored output of the step\'s latest run (tables as CSV or JSON); with --history, of every kept run.')
  .argument('<file>', 'pipeline file')
  .argument('<target>', 'step or step.output')
  .addOption(new Option('--format <format>', 'table format').choices(['csv', 'json']))
  .option('--history', 'every kept run of the step, newest first, each headed by its run id and time (a journal)')
  .action(async (file: string, target: string, flags: { format?: 'csv' | 'json'; history?: boolean }) => {
    const [{ load }, { showCommand }] = await Promise.all([import('./common.ts'), import('./show.ts')]);
    exit(await showCommand(await load(file), target, flags.format, flags.history === true));
  });

program
  .command('gc')
  .description('Remove cache objects that no kept run references.')
  .argument('[path]', 'a pipeline file or project folder', '.')
  .option('--keep <n>', 'runs to keep per pipeline', '5')
  .option('-n, --dry-run', 'only report what would be removed')
  .option('--remote [name]', 'collect in the remote instead: objects no remote record references (default remote unless named)')
  .option('--grace <minutes>', 'with --remote: leave objects younger than this (a push in progress uploads objects before its record)', '60')
  .action(async (path: string, flags: { keep: string; dryRun?: boolean; remote?: string | true; grace: string }) => {
    const keep = Number(flags.keep);
    if (!Number.isInteger(keep) || keep < 0) {
      process.stderr.write(`error: --keep: expected a non-negative integer, got \`${flags.keep}\`\n`);
      throw new Exit(EXIT.invalid);
    }
    const [{ findProjectRoot }, { collectGarbage }, { formatBytes }] = await Promise.all([import('../project.ts'), import('./gc.ts'), import('../format.ts')]);
    const abs = resolve(path);
    const root = findProjectRoot(statSync(abs).isDirectory() ? join(abs, 'pipeline.yaml') : abs);
    if (flags.remote !== undefined) {
      const { remoteGcCommand } = await import('./remote.ts');
      return exit(await remoteGcCommand(root, flags.remote, flags.dryRun === true, flags.grace));
    }
    const r = await collectGarbage(root, keep, flags.dryRun === true);
    const verb = flags.dryRun ? 'would remove' : 'removed';
    await print(`${verb} ${r.removedObjects} objects (${formatBytes(r.freedBytes)}), ${r.removedRecords} records, ${r.removedRuns} run logs; kept ${r.keptRuns} runs\n`);
  });

program
  .command('init')
  .description('Scaffold a new project (pipeline, config, hyperparameters, a sample plugin) that runs immediately.')
  .argument('[dir]', 'project folder', '.')
  .action(async (dir: string) => {
    const { initProject } = await import('./init.ts');
    try {
      const files = await initProject(resolve(dir));
      await print(`created ${files.join(', ')}\nnext: cd ${dir} && tradepipe run pipelines.d/example.yaml\n`);
    } catch (error) {
      process.stderr.write(`error: init: ${(error as Error).message}\n`);
      throw new Exit(EXIT.invalid);
    }
  });

registerWatch(program);
registerTracking(program);
registerRemote(program);
registerUi(program);
registerSchedule(program);
registerMetrics(program);
registerExport(program);

function exit(code: number): void {
  if (code !== 0) throw new Exit(code);
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.invalid;
    }
    // A message for people; the stack only on request.
    const detail = process.env.TRADEPIPE_DEBUG ? ((error as Error).stack ?? String(error)) : error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${detail}\n`);
    return EXIT.failed;
  }
}
