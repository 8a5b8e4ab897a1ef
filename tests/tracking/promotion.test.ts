import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decidePromotion, parseStats, type MetricCondition } from '../../steps/lib/registry/promotion.ts';

const conditions: MetricCondition[] = [
  { metric: 'Sharpe ratio', op: '>' },
  { metric: 'Max drawdown', op: '>=', tolerance: 0.05 },
];

test('without a champion the challenger is promoted', () => {
  const d = decidePromotion(conditions, { 'Sharpe ratio': 1.1, 'Max drawdown': -0.3 }, undefined);
  assert.is(d.promoted, true);
  assert.is(d.reason, 'no current champion');
  assert.equal(d.checks.map((c) => c.champion), [null, null]);
});

test('all conditions hold: promoted, with the comparison as the reason', () => {
  const d = decidePromotion(conditions, { 'Sharpe ratio': 1.4, 'Max drawdown': -0.22 }, { version: '3', stats: { 'Sharpe ratio': 1.2, 'Max drawdown': -0.2 } });
  assert.is(d.promoted, true);
  assert.is(d.reason, 'against champion version 3: Sharpe ratio 1.4 > 1.2; Max drawdown -0.22 >= -0.2 (tolerance 0.05)');
  assert.equal(d.checks, [
    { metric: 'Sharpe ratio', op: '>', tolerance: 0, challenger: 1.4, champion: 1.2, passed: true },
    { metric: 'Max drawdown', op: '>=', tolerance: 0.05, challenger: -0.22, champion: -0.2, passed: true },
  ]);
});

test('a failing condition keeps the champion and says which', () => {
  const d = decidePromotion(conditions, { 'Sharpe ratio': 1.5, 'Max drawdown': -0.26 }, { version: '3', stats: { 'Sharpe ratio': 1.2, 'Max drawdown': -0.2 } });
  assert.is(d.promoted, false);
  assert.is(d.reason, 'against champion version 3: Max drawdown -0.26 not >= -0.2 (tolerance 0.05)');
  const tie = decidePromotion([{ metric: 'Sharpe ratio', op: '>' }], { 'Sharpe ratio': 1.2 }, { version: '1', stats: { 'Sharpe ratio': 1.2 } });
  assert.is(tie.reason, 'against champion version 1: Sharpe ratio 1.2 not > 1.2');
  const lower = decidePromotion([{ metric: 'Annual volatility', op: '<=', tolerance: 0.01 }], { 'Annual volatility': 0.205 }, { version: '1', stats: { 'Annual volatility': 0.2 } });
  assert.is(lower.promoted, true);
});

test('a champion without the metric, or a null challenger stat, rejects; an absent challenger key is an error', () => {
  const noStats = decidePromotion(conditions, { 'Sharpe ratio': 2, 'Max drawdown': -0.1 }, { version: '2', stats: { 'Sharpe ratio': 1 } });
  assert.is(noStats.promoted, false);
  assert.is(noStats.reason, 'champion version 2 has no stored "Max drawdown"');
  const nan = decidePromotion(conditions, { 'Sharpe ratio': null, 'Max drawdown': -0.1 }, undefined);
  assert.is(nan.promoted, false);
  assert.is(nan.reason, `challenger's "Sharpe ratio" is not a number`);
  assert.throws(() => decidePromotion(conditions, { Sharpe: 2 }, undefined), /^challenger stats have no "Sharpe ratio", "Max drawdown" \(keys: Sharpe\)$/);
});

test('stats must be a flat object of numbers or nulls', () => {
  assert.equal(parseStats({ a: 1, b: null }, 'input `stats`'), { a: 1, b: null });
  assert.throws(() => parseStats([1], 'input `stats`'), /^input `stats` must be a JSON object of numbers, got an array$/);
  assert.throws(() => parseStats({ a: 'x' }, 'input `stats`'), /^input `stats`: "a" must be a number or null, got "x"$/);
});

test.run();
