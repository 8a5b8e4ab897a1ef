/** Matrix expansion as a pure function over step specs (the CLI-level behaviour is in compose.test.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basePort, expandMatrices, instanceId } from '../../engine/compose.ts';
import type { Diagnostic } from '../../engine/errors.ts';
import { Positions } from '../../engine/yaml-source.ts';
import type { Step as StepSpec } from '../../schemas/pipeline.ts';

test('instance ids and ports carry the combination in axis order', () => {
  assert.is(instanceId('train', { lr: 0.1, seed: 2 }), 'train@lr=0.1,seed=2');
  assert.is(basePort('items@lr=0.1,seed=2'), 'items');
  assert.is(basePort('items'), 'items');
});

test('a matrix step expands per combination with values substituted; followers and fan-ins are rewired', () => {
  const errors: Diagnostic[] = [];
  const steps: Record<string, StepSpec> = {
    base: { uses: 'add' },
    train: { uses: 'add', matrix: { lr: [0.1, 0.2], seed: [1] }, inputs: { x: 'base.value' }, with: { lr: '${matrix.lr}', seed: '${matrix.seed}' } },
    test: { uses: 'add', matrix: 'train', inputs: { x: 'train.value' } },
    sweep: { uses: 'collect', inputs: { items: 'test.value' }, needs: ['train'] },
  };
  const out = expandMatrices(steps, new Positions(), errors);
  assert.equal(errors, []);
  assert.equal(Object.keys(out), ['base', 'train@lr=0.1,seed=1', 'train@lr=0.2,seed=1', 'test@lr=0.1,seed=1', 'test@lr=0.2,seed=1', 'sweep']);
  assert.equal(out['train@lr=0.2,seed=1']!.with, { lr: 0.2, seed: 1 });
  assert.equal(out['test@lr=0.1,seed=1']!.inputs, { x: 'train@lr=0.1,seed=1.value' });
  assert.equal(out.sweep!.inputs, { 'items@lr=0.1,seed=1': 'test@lr=0.1,seed=1.value', 'items@lr=0.2,seed=1': 'test@lr=0.2,seed=1.value' });
  assert.equal(out.sweep!.needs, ['train@lr=0.1,seed=1', 'train@lr=0.2,seed=1']);
});

test('without matrices the specs come back as they were', () => {
  const steps: Record<string, StepSpec> = { a: { uses: 'add' } };
  assert.is(expandMatrices(steps, new Positions(), []), steps);
});

test('an unknown matrix key and a matrix naming a step without values are errors', () => {
  const errors: Diagnostic[] = [];
  expandMatrices(
    { a: { uses: 'add', matrix: { lr: [1] }, with: { x: '${matrix.rate}' } }, b: { uses: 'add', matrix: 'c' }, c: { uses: 'add' } },
    new Positions(),
    errors,
  );
  assert.equal(errors.map((e) => e.message), ['`matrix: c` must name a step with a matrix of values', 'unknown matrix key `rate` in step `a`; keys: lr']);
});

test.run();
