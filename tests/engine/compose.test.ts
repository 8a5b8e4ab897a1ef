import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { project, REPO, withStatus } from '../helpers/project.ts';

const ADD = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/add.ts'));

test('matrix expands into one cached step per combination; followers wire to the matching instance; collect fans in', async () => {
  const p = project({
    'p.yaml': `plugins: { add: ${ADD} }
steps:
  base: { uses: add, with: { amount: 100 } }
  train:
    uses: add
    matrix: { amount: [1, 2], modulo: [1000, 7] }
    inputs: { x: base.value }
    with: { amount: "\${matrix.amount}", modulo: "\${matrix.modulo}" }
  test:
    uses: add
    matrix: train
    inputs: { x: train.value }
    with: { amount: 0 }
  sweep:
    uses: collect
    inputs: { items: test.value }
`,
  });
  try {
    const dag = await p.run(['dag', 'p.yaml']);
    assert.match(dag.stdout, /train@amount=1,modulo=1000 +add +<- base/);
    assert.match(dag.stdout, /test@amount=2,modulo=7 +add +<- train@amount=2,modulo=7/);
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.is(withStatus(r.statuses, 'executed').length, 10);
    const csv = await p.run(['show', 'p.yaml', 'sweep.table']);
    assert.is(csv.stdout, 'instance,amount,modulo,value\n"amount=1,modulo=1000",1,1000,101\n"amount=1,modulo=7",1,7,3\n"amount=2,modulo=1000",2,1000,102\n"amount=2,modulo=7",2,7,4');
    const rerun = await p.runJson('p.yaml', ['--set', 'base.amount=200']);
    assert.is(withStatus(rerun.statuses, 'executed').length, 10, 'a change upstream of the sweep reruns every instance');
  } finally {
    p.cleanup();
  }
});

test('a single-input port cannot take every instance of a matrix step', async () => {
  const p = project({
    'p.yaml': `plugins: { add: ${ADD} }
steps:
  train:
    uses: add
    matrix: { amount: [1, 2] }
    with: { amount: "\${matrix.amount}" }
  after:
    uses: add
    inputs: { x: train.value }
    with: { amount: 0 }
`,
  });
  try {
    const r = await p.run(['validate', 'p.yaml']);
    assert.is(r.code, 2);
    assert.ok(
      r.stderr.startsWith('error TP0201: p.yaml:9:15: input `x` receives every instance of matrix step `train`, but plugin `add` takes one: select an instance (`train@amount=1.value`) or give this step the same matrix'),
      r.stderr,
    );
  } finally {
    p.cleanup();
  }
});

test('include merges steps from a shared fragment without copying them', async () => {
  const p = project({
    'pipelines.d/fragments/prep.yaml': `plugins: { add: ${ADD} }
vars: { start: 10 }
steps:
  prep: { uses: add, with: { amount: "\${vars.start}" } }
`,
    'pipelines.d/a.yaml': `include: [pipelines.d/fragments/prep.yaml]
vars: { start: 20 }
steps:
  use: { uses: add, inputs: { x: prep.value }, with: { amount: 1 } }
`,
    'pipelines.d/b.yaml': `include: [pipelines.d/fragments/prep.yaml]
steps:
  prep: { uses: exec, with: { cmd: "true" } }
`,
  });
  try {
    const r = await p.runJson('pipelines.d/a.yaml');
    assert.equal(r.statuses, { prep: 'executed', use: 'executed' });
    assert.is((await p.run(['show', 'pipelines.d/a.yaml', 'use'])).stdout.trim(), '21', "the including pipeline's vars win");
    const clash = await p.run(['validate', 'pipelines.d/b.yaml']);
    assert.is(clash.code, 2);
    assert.ok(clash.stderr.startsWith('error TP0303: pipelines.d/fragments/prep.yaml:4:3: step `prep` is defined both here and in the including pipeline (pipelines.d/b.yaml:3)'), clash.stderr);
  } finally {
    p.cleanup();
  }
});

test.run();
