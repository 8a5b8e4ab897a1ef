import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadPipeline } from '../../engine/pipeline.ts';
import { openSession } from '../../engine/cache-session.ts';
import { execute, type RunObserver } from '../../engine/executor.ts';
import { hashFile, hashJson, shortHash } from '../../engine/hash.ts';
import { envFingerprint } from '../../engine/key.ts';
import { explainStep, explainStepJson } from '../../engine/cli/explain.ts';
import { project } from '../helpers/project.ts';

const silent: RunObserver = { stepStarted() {}, stepProgress() {}, stepLog() {}, stepFinished() {} };

const FILES = {
  'package.json': '{ "type": "module" }\n',
  'plugins/scale.ts': `import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
export default {
  name: 'scale',
  version: '1',
  description: 'factor * the number in a file, plus an optional base',
  paramsSchema: { type: 'object', required: ['path'], additionalProperties: false,
    properties: { path: { type: 'string' }, factor: { type: 'number', default: 1 }, opts: { type: 'object' } } },
  inputs: { base: { optional: true } },
  outputs: { value: {} },
  files: (p: { path: string }) => ({ deps: [p.path] }),
  async run(ctx: { projectRoot: string }, p: { path: string; factor: number }, inputs: { base?: { json(): Promise<number> } }) {
    const n = Number(await readFile(join(ctx.projectRoot, p.path), 'utf8'));
    return { value: { kind: 'json', value: p.factor * n + (inputs.base ? await inputs.base.json() : 0) } };
  },
};
`,
  'p.yaml': `steps:
  base: { uses: scale, with: { path: data/base.txt } }
  scaled:
    uses: scale
    env: [TRADEPIPE_EXPLAIN_TEST]
    inputs: { base: base.value }
    with:
      $ref: hyperparameters/h.yaml#/scaled
      path: data/n.txt
plugins:
  scale: ./plugins/scale.ts
`,
  'hyperparameters/h.yaml': 'scaled:\n  factor: 3\n  opts: { mode: fast }\n',
  'data/base.txt': '10',
  'data/n.txt': '2',
};

async function run(file: string) {
  const pipeline = await loadPipeline(file);
  const result = await execute(pipeline, openSession(pipeline.root), { jobs: 1, keepGoing: false, signal: new AbortController().signal, env: process.env }, silent);
  assert.is(result.status, 'succeeded');
  return result;
}

test('explain: up to date, then every changed key input marked against the last run', async () => {
  const p = project(FILES);
  const file = join(p.dir, 'p.yaml');
  try {
    const first = await run(file);
    assert.is(first.steps[1]!.outputs.value, hashJson(16));
    const fresh = await explainStepJson(await loadPipeline(file), 'scaled');
    assert.is(fresh.status, 'up-to-date');
    assert.is(fresh.reason, 'up to date');
    assert.is(fresh.lastRun?.runId, first.runId);
    assert.equal(
      fresh.fields.map((f) => [f.field, f.change]),
      ['plugin', 'version', 'code', 'params.factor', 'params.opts.mode', 'params.path', 'inputs.base', 'deps.data/n.txt', 'env.TRADEPIPE_EXPLAIN_TEST', 'key'].map((f) => [f, 'same']),
    );

    const oldN = await hashFile(join(p.dir, 'data/n.txt'));
    p.write('hyperparameters/h.yaml', 'scaled:\n  factor: 4\n  opts: { mode: fast }\n');
    p.write('data/n.txt', '5');
    const newN = await hashFile(join(p.dir, 'data/n.txt'));
    const pipeline = await loadPipeline(file);
    const e = await explainStepJson(pipeline, 'scaled');
    assert.is(e.status, 'stale');
    assert.is(e.reason, 'param `factor` 3→4; file `data/n.txt` changed');
    const row = (field: string) => e.fields.find((f) => f.field === field);
    assert.equal(row('params.factor'), { field: 'params.factor', current: 4, last: 3, change: 'changed' });
    assert.equal(row('deps.data/n.txt'), { field: 'deps.data/n.txt', current: newN, last: oldN, change: 'changed' });
    assert.equal(row('params.opts.mode'), { field: 'params.opts.mode', current: 'fast', last: 'fast', change: 'same' });

    // A single-file plugin's code hash: its module graph (just itself), by path relative to its folder.
    const code = shortHash(hashJson([['scale.ts', await hashFile(join(p.dir, 'plugins/scale.ts'))]]));
    const base = shortHash(hashJson(10));
    const unset = envFingerprint(['TRADEPIPE_EXPLAIN_TEST'], {}).TRADEPIPE_EXPLAIN_TEST!;
    assert.is(unset, 'unset');
    const key = (f: { current: unknown; last?: unknown }) => [shortHash(f.current as string), shortHash(f.last as string)];
    const [keyNow, keyThen] = key(row('key')!);
    assert.is(
      await explainStep(pipeline, 'scaled'),
      [
        `scaled (plugin \`scale\`) in p: stale — param \`factor\` 3→4; file \`data/n.txt\` changed`,
        `last run: ${first.runId}, finished ${e.lastRun!.finishedAt}`,
        '',
        '  field                       now           last run',
        '  plugin                      scale         scale',
        '  version                     1             1',
        `  code                        ${code}    ${code}`,
        '* params.factor               4             3',
        '  params.opts.mode            "fast"        "fast"',
        '  params.path                 "data/n.txt"  "data/n.txt"',
        `  inputs.base                 ${base}    ${base}`,
        `* deps.data/n.txt             ${shortHash(newN)}    ${shortHash(oldN)}`,
        '  env.TRADEPIPE_EXPLAIN_TEST  unset         unset',
        `* key                         ${keyNow}    ${keyThen}`,
        '',
        '* changed  + added since the last run  - removed since the last run  ? unknown until upstream steps run',
      ].join('\n'),
    );
  } finally {
    p.cleanup();
  }
});

test('explain: inputs unknown until upstream runs, a restored earlier run, and a step that never ran', async () => {
  const p = project(FILES);
  const file = join(p.dir, 'p.yaml');
  try {
    await run(file);
    p.write('data/base.txt', '20');
    const pending = await explainStepJson(await loadPipeline(file), 'scaled');
    assert.is(pending.reason, 'upstream `base` will run');
    const input = pending.fields.find((f) => f.field === 'inputs.base');
    assert.equal(input, { field: 'inputs.base', current: null, last: hashJson(10), change: 'pending' });
    assert.equal(pending.fields.find((f) => f.field === 'key')?.change, 'pending');
    assert.ok((await explainStep(await loadPipeline(file), 'scaled')).includes(`? inputs.base                 (after upstream runs)  ${shortHash(hashJson(10))}`));

    // Back to the old base after running the new one: the earlier outputs are reused, and explain says why.
    await run(file);
    p.write('data/base.txt', '10');
    await run(file);
    p.write('data/base.txt', '20');
    const restored = await explainStepJson(await loadPipeline(file), 'base');
    assert.is(restored.status, 'up-to-date');
    assert.match(restored.reason, /^outputs of an earlier run \(\d{8}T\d{6}-[0-9a-f]{6}, [^)]+\) match; file `data\/base\.txt` changed$/);

    p.write('p.yaml', FILES['p.yaml'].replace('plugins:', '  extra: { uses: scale, with: { path: data/n.txt, factor: 7 } }\nplugins:'));
    const never = await explainStepJson(await loadPipeline(file), 'extra');
    assert.is(never.lastRun, null);
    assert.is(never.reason, 'never run');
    assert.ok(never.fields.every((f) => f.change === 'new' && !('last' in f)));
    const text = await explainStep(await loadPipeline(file), 'extra');
    assert.ok(text.startsWith('extra (plugin `scale`) in p: stale — never run\nlast run: none (never ran in this pipeline)\n'), text);
    assert.ok(text.includes('\n  params.factor    7 '), text);
  } finally {
    p.cleanup();
  }
});

test.run();
