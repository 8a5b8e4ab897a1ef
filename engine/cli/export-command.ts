/** `tradepipe export argo`: its options; the manifest is built by ./export.ts, imported only when the command runs. */
import { Option, type Command } from 'commander';
import { collect } from './exit.ts';
import type { ArgoFlags } from './export.ts';

export function registerExport(program: Command): void {
  const group = program.command('export').description('Export a pipeline to another orchestrator.');
  group
    .command('argo')
    .description('Print an Argo Workflow: one DAG task per step, each running `tradepipe run <file> <step>` against the shared remote.')
    .argument('<file>', 'pipeline file')
    .requiredOption('--image <image>', 'container image holding the project checkout and tradepipe')
    .option('--remote <name>', 'the remote the tasks share (default: tradepipe.yaml\'s default)')
    .option('--workdir <dir>', 'the project checkout inside the image', '/project')
    .option('--parallelism <n>', 'steps running at once', '4')
    .option('--secret <name>', 'Kubernetes Secret exposed to every step as environment (S3 credentials, TRADEPIPE_REMOTE_KEY)')
    .option('-S, --set <step.param=value>', 'a param override passed to every step (repeatable)', collect, [])
    .addOption(new Option('--template', 'a WorkflowTemplate instead of a Workflow'))
    .action(async (file: string, flags: ArgoFlags) => {
      const { exportArgo } = await import('./export.ts');
      await exportArgo(file, flags);
    });
}
