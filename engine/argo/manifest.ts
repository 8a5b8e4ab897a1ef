/**
 * A pipeline as an Argo Workflows manifest: one DAG template whose tasks are the steps,
 * each running `tradepipe run <file> <step>` against the shared remote. A task's upstream
 * steps are remote cache hits there, so caching and early cutoff hold as in a local run.
 * Pure: pipeline and options in, a manifest object out.
 */
import { createHash } from 'node:crypto';
import type { Pipeline } from '../pipeline.ts';

export interface ArgoOptions {
  image: string;
  /** Project-relative pipeline file, as it lies in the image's working directory. */
  pipelineFile: string;
  /** The project checkout inside the image. */
  workdir: string;
  remote?: string;
  overrides: readonly string[];
  parallelism: number;
  /** A Kubernetes Secret whose keys become the steps' environment (S3 credentials, TRADEPIPE_REMOTE_KEY, API keys). */
  secret?: string;
  kind: 'Workflow' | 'WorkflowTemplate';
}

/** Kubernetes resource names for resource tags; other tags select nodes labelled `tradepipe.io/<tag>`. */
const EXTENDED_RESOURCES: Readonly<Record<string, string>> = { gpu: 'nvidia.com/gpu' };

export function argoManifest(pipeline: Pipeline, o: ArgoOptions): Record<string, unknown> {
  const names = taskNames(pipeline.order);
  const templates: Record<string, unknown>[] = [];
  const tasks = pipeline.order.map((id) => {
    const step = pipeline.steps.get(id)!;
    const template = names.get(id)!;
    const limits: Record<string, string> = {};
    const nodeSelector: Record<string, string> = {};
    for (const [tag, n] of Object.entries(step.resources)) {
      // Kubernetes quantities are strings.
      if (EXTENDED_RESOURCES[tag]) limits[EXTENDED_RESOURCES[tag]] = String(n);
      else nodeSelector[`tradepipe.io/${tag}`] = 'true';
    }
    const args = ['run', o.pipelineFile, id, ...(o.remote ? ['--remote', o.remote] : []), ...o.overrides.flatMap((s) => ['--set', s])];
    templates.push({
      name: template,
      metadata: { annotations: { 'tradepipe.io/step': id } },
      ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
      container: {
        image: o.image,
        command: ['tradepipe'],
        args,
        workingDir: o.workdir,
        ...(o.secret ? { envFrom: [{ secretRef: { name: o.secret } }] } : {}),
        ...(Object.keys(limits).length > 0 ? { resources: { limits, requests: limits } } : {}),
      },
    });
    const dependencies = pipeline.graph.inNeighbors(id).map((u) => names.get(u)!);
    return { name: template, template, ...(dependencies.length > 0 ? { dependencies: dependencies.sort() } : {}) };
  });
  const base = kubeName(pipeline.name);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: o.kind,
    metadata: o.kind === 'Workflow' ? { generateName: `${base}-` } : { name: base },
    spec: {
      entrypoint: 'pipeline',
      parallelism: o.parallelism,
      templates: [{ name: 'pipeline', dag: { tasks } }, ...templates],
    },
  };
}

/** Step ids (`sweep@seed=1`) as template/task names: lowercase letters, digits and `-`, unique. */
function taskNames(ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of ids) {
    let name = kubeName(id).slice(0, 50);
    if (used.has(name) || name !== id) name = `${name.slice(0, 41)}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
    used.add(name);
    out.set(id, name);
  }
  return out;
}

function kubeName(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'step'
  );
}
