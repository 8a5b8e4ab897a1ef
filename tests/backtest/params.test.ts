/** backtest params: the schema (with the env config embedded) and the semantic checks. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import backtest, { policySpec } from '../../steps/backtest/plugin.ts';
import { validateFillingDefaults } from '../../engine/schema/validate.ts';
import { Positions } from '../../engine/yaml-source.ts';

function validate(params: Record<string, unknown>): { value: Record<string, unknown>; messages: string[] } {
  const value = structuredClone(params);
  const problems = validateFillingDefaults(backtest.paramsSchema, value, [], new Positions(), { noun: 'param', context: '' });
  return { value, messages: problems.map((p) => p.message) };
}

test('defaults: policy agent and the FinRL env settings', () => {
  const { value, messages } = validate({});
  assert.equal(messages, []);
  assert.is(value.policy, 'agent');
  assert.equal((value.env as Record<string, unknown>).hmax, 100);
  assert.equal((value.env as Record<string, unknown>).reward_scaling, 1e-4);
});

test('env fields are validated with the env config schema', () => {
  assert.equal(validate({ env: { hmax: 0 } }).messages, ['param `env.hmax` must be >= 1']);
  assert.match(validate({ env: { hmx: 3 } }).messages.join('\n'), /unknown param `env.hmx`/);
});

test('policy shorthands and option defaults', () => {
  assert.equal(policySpec(undefined), { type: 'agent' });
  assert.equal(policySpec('index'), { type: 'index', ticker: '^DJI' });
  assert.equal(policySpec('min_variance'), { type: 'min_variance', lookback: 252, max_weight: 1, rebalance_every: 1 });
  assert.equal(policySpec({ type: 'min_variance', max_weight: 0.1 }), { type: 'min_variance', lookback: 252, max_weight: 0.1, rebalance_every: 1 });
  assert.equal(policySpec({ type: 'actions', path: 'a.csv' }), { type: 'actions', path: 'a.csv' });
});

test('check: options of another policy type, a missing actions path, and start after end', () => {
  assert.equal(backtest.check!({ policy: { type: 'index', lookback: 3 } }), [
    { path: ['policy', 'lookback'], message: '`lookback` is an option of policy type `min_variance`, not `index`' },
  ]);
  assert.equal(backtest.check!({ policy: { type: 'actions' } }), [
    { path: ['policy'], message: 'policy type `actions` needs `path`: the CSV of recorded actions' },
  ]);
  assert.equal(backtest.check!({ start: '2021-01-01', end: '2020-01-01' }), [
    { path: ['end'], message: 'end 2020-01-01 must be after start 2021-01-01 (end is exclusive)' },
  ]);
});

test('the actions file is a declared dependency', () => {
  assert.equal(backtest.files!({ policy: { type: 'actions', path: 'runs/actions.csv' } }), { deps: ['runs/actions.csv'] });
  assert.equal(backtest.files!({ policy: 'buy_and_hold' }), {});
});

test.run();
