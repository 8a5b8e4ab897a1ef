/** `tradepipe export argo`: prints a pipeline as an Argo Workflows manifest (YAML). */
import { stringify } from 'yaml';
import { argoManifest } from '../argo/manifest.ts';
import { projectRelative } from '../project.ts';
import { chooseRemote, loadRemotes } from '../remote/config.ts';
import { InvalidInput } from '../errors.ts';
import { EXIT, Exit, load, printInvalid } from './common.ts';

export interface ArgoFlags {
  image: string;
  remote?: string;
  workdir: string;
  parallelism: string;
  set: string[];
  secret?: string;
  template?: boolean;
}

export async function exportArgo(file: string, flags: ArgoFlags): Promise<void> {
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
