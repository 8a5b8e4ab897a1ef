/** `tradepipe export argo`: prints a pipeline as an Argo Workflows manifest (YAML). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { stringify } from 'yaml';
import { argoManifest } from '../argo/manifest.ts';
import { projectRelative } from '../project.ts';
import { chooseRemote, loadRemotes } from '../remote/config.ts';
import { InvalidInput } from '../errors.ts';
import { collect, EXIT, Exit, load, printInvalid } from './common.ts';

interface ArgoFlags {
  image: string;
  remote?: string;
  workdir: string;
  parallelism: string;
  set: string[];
  secret?: string;
  template?: boolean;
}

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
      await exportArgo(file, flags);
    });
}

async function exportArgo(file: string, flags: ArgoFlags): Promise<void> {
  const pipeline = await load(file, flags.set);
  const parallelism = Number(flags.parallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    process.stderr.write(`error: --parallelism: expected a positive integer, got \`${flags.parallelism}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  let remote: string | undefined;
  try {
    remote = chooseRemote(loadRemotes(pipeline.root), flags.remote)?.name;
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    printInvalid(error);
    throw new Exit(EXIT.invalid);
  }
  if (!remote) process.stderr.write('warning: no remote configured: each task starts from an empty cache and reruns its upstream steps\n');
  const manifest = argoManifest(pipeline, {
    image: flags.image,
    pipelineFile: projectRelative(pipeline.root, pipeline.file),
    workdir: flags.workdir,
    remote: flags.remote,
    overrides: flags.set,
    parallelism,
    secret: flags.secret,
    kind: flags.template ? 'WorkflowTemplate' : 'Workflow',
  });
  process.stdout.write(stringify(manifest));
}
