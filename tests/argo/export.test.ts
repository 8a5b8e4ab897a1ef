/**
 * `tradepipe export argo`: the manifest of full_strategy.yaml mirrors its graph and
 * validates against Argo's schema (Hera's models, .ci/services/hera.sh); resource tags
 * become requests and node selectors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { loadPipeline } from '../../engine/pipeline.ts';
import { BIN, project, REPO } from '../helpers/project.ts';

interface Task {
  name: string;
  template: string;
  dependencies?: string[];
}
interface Template {
  name: string;
  metadata?: { annotations: Record<string, string> };
  dag?: { tasks: Task[] };
  nodeSelector?: Record<string, string>;
  container?: { image: string; command: string[]; args: string[]; workingDir: string; resources?: { limits: Record<string, string> }; envFrom?: unknown[] };
}
interface Manifest {
  kind: string;
  spec: { entrypoint: string; parallelism: number; templates: Template[] };
}

async function exportArgo(cwd: string, args: string[]): Promise<{ code: number; manifest?: Manifest; stdout: string; stderr: string }> {
  const r = await execa(BIN, ['export', 'argo', ...args], { cwd, reject: false, env: { NO_COLOR: '1' } });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, ...(r.exitCode === 0 ? { manifest: parse(r.stdout) as Manifest } : {}) };
}

async function validateWithHera(manifest: Manifest): Promise<string | undefined> {
  const python = process.env.TRADEPIPE_HERA_PYTHON;
  if (!python) {
    if (process.env.CI === 'true') throw new Error('argo: TRADEPIPE_HERA_PYTHON not set under CI=true (source .ci/services/hera.sh)');
    console.log('SKIP argo (schema): TRADEPIPE_HERA_PYTHON not set (install Hera with .ci/services/hera.sh)');
    return undefined;
  }
  const r = await execa(python, [join(REPO, 'tests/argo/validate_workflow.py')], { input: JSON.stringify(manifest), reject: false });
  assert.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('full_strategy.yaml: one task per step with the graph as dependencies, each running that step against the remote; valid for Argo', async () => {
  const file = 'pipelines.d/full_strategy.yaml';
  const r = await exportArgo(REPO, [file, '--image', 'registry.example/tradepipe:1', '--parallelism', '3', '--secret', 'tradepipe-s3']);
  assert.is(r.code, 0, r.stderr);
  const manifest = r.manifest!;
  const pipeline = await loadPipeline(join(REPO, file));
  assert.is(manifest.kind, 'Workflow');
  assert.is(manifest.spec.parallelism, 3);
  const templates = new Map(manifest.spec.templates.map((t) => [t.name, t]));
  const tasks = templates.get(manifest.spec.entrypoint)!.dag!.tasks;
  assert.is(tasks.length, pipeline.order.length);
  const stepOf = new Map(tasks.map((t) => [t.name, templates.get(t.template)!.metadata!.annotations['tradepipe.io/step']!]));
  assert.equal([...stepOf.values()].sort(), [...pipeline.order].sort());
  for (const task of tasks) {
    const step = stepOf.get(task.name)!;
    const container = templates.get(task.template)!.container!;
    assert.equal(container.args, ['run', file, step]);
    assert.equal(container.command, ['tradepipe']);
    assert.is(container.image, 'registry.example/tradepipe:1');
    assert.equal(container.envFrom, [{ secretRef: { name: 'tradepipe-s3' } }]);
    assert.equal((task.dependencies ?? []).map((d) => stepOf.get(d)).sort(), pipeline.graph.inNeighbors(step).sort());
  }
  const checked = await validateWithHera(manifest);
  if (checked !== undefined) assert.is(checked.trim(), `ok ${pipeline.order.length}`);
});

test('resource tags: gpu becomes an nvidia.com/gpu request, another tag a node selector; a WorkflowTemplate with --template; --remote and --set reach every step', async () => {
  const p = project({
    'pipelines.d/tags.yaml': `steps:
  prep: { uses: exec, with: { cmd: "true", outs: [] }, resources: { highmem: 1 } }
  train: { uses: exec, matrix: { seed: [1] }, needs: [prep], with: { cmd: "true", outs: [] }, resources: { gpu: 2 } }
`,
  });
  p.write('tradepipe.yaml', 'remote:\n  team: { url: "s3://bucket-a/cache" }\n');
  try {
    const r = await exportArgo(p.dir, ['pipelines.d/tags.yaml', '--image', 'img:1', '--template', '--remote', 'team', '--set', 'prep.cmd=echo hi']);
    assert.is(r.code, 0, r.stderr);
    const manifest = r.manifest!;
    assert.is(manifest.kind, 'WorkflowTemplate');
    const [dag, prep, train] = manifest.spec.templates;
    assert.equal(dag!.dag!.tasks.map((t) => [t.name, t.dependencies]), [['prep', undefined], [train!.name, ['prep']]]);
    assert.match(train!.name, /^train-seed-1-[0-9a-f]{8}$/);
    assert.equal(prep!.nodeSelector, { 'tradepipe.io/highmem': 'true' });
    assert.equal(train!.container!.resources, { limits: { 'nvidia.com/gpu': '2' }, requests: { 'nvidia.com/gpu': '2' } });
    assert.equal(prep!.container!.args, ['run', 'pipelines.d/tags.yaml', 'prep', '--remote', 'team', '--set', 'prep.cmd=echo hi']);
    await validateWithHera(manifest);
  } finally {
    p.cleanup();
  }
});

test('a bad --parallelism is invalid input', async () => {
  const r = await exportArgo(REPO, ['pipelines.d/full_strategy.yaml', '--image', 'i', '--parallelism', '0']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--parallelism: expected a positive integer, got `0`/);
});

test.run();
