/** FinRL's calculate_turbulence, against goldens made by FinRL's own code (tests/fixtures/features/README.md). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Table } from '../../engine/table/table.ts';
import { engineerFeatures } from '../../steps/lib/indicators/feature-engineer.ts';
import { pinvQuadraticForm, quadraticWorkspace } from '../../steps/lib/indicators/pinv-quadratic.ts';
import { finrlTurbulence } from '../../steps/lib/indicators/turbulence.ts';
import { EXACT, firstMismatch, fixtureTable, numbers } from './fixtures.ts';
import { benchTable } from './synthetic-walk.ts';

/** The turbulence of each date of `expected`, computed from `prices` (clean off, as calculate_turbulence sees it). */
function turbulenceByDate(prices: Table, expected: Table): Float64Array {
  const t = engineerFeatures(prices, { indicators: [], clean: false, vixTic: '^VIX', turbulence: true, turbulenceLookback: 252, fillMissing: false }).table;
  const byDate = new Map<string, number>();
  const dates = t.columns.date as string[];
  numbers(t, 'turbulence').forEach((v, i) => byDate.set(dates[i]!, v));
  return Float64Array.from(expected.columns.date as string[], (d) => byDate.get(d) ?? NaN);
}

test('30 tickers x 2,520 days (the bench table): incremental covariance stays within 1e-9 over 2,268 dates', () => {
  const expected = fixtureTable('walk30-turbulence.expected.csv');
  const actual = turbulenceByDate(benchTable(), expected);
  assert.is(firstMismatch(actual, numbers(expected, 'turbulence'), EXACT), undefined);
  assert.ok(numbers(expected, 'turbulence').filter((v) => v > 0).length > 2000);
});

test('gaps: late listing, missing rows, a NaN close and a collinear twin (singular covariance -> pinv)', () => {
  const expected = fixtureTable('gaps-turbulence.expected.csv');
  const actual = turbulenceByDate(fixtureTable('gaps-close.csv'), expected);
  assert.is(firstMismatch(actual, numbers(expected, 'turbulence'), EXACT), undefined);
});

test('the shared FinRL fixture (prices at 17 significant digits), to 1e-9', () => {
  const expected = fixtureTable('finrl-turbulence.expected.csv');
  const actual = turbulenceByDate(fixtureTable('ohlcv.csv'), expected);
  assert.is(firstMismatch(actual, numbers(expected, 'turbulence'), EXACT), undefined);
  assert.equal([...actual.slice(0, 254)].filter((v) => v !== 0), [], 'zero for the first 252 dates and the first two positive values');
  assert.ok(actual[254]! > 0);
});

test('turbulence is 0 before the lookback and for the first two positive values', () => {
  const nDates = 8;
  const close = new Float64Array(nDates * 2);
  for (let d = 0; d < nDates; d++) {
    close[d * 2] = 100 * (1 + 0.01 * Math.sin(d * 1.3)) ** d;
    close[d * 2 + 1] = 50 * (1 + 0.02 * Math.cos(d * 0.7)) ** d;
  }
  const out = finrlTurbulence(close, nDates, 2, 3);
  assert.equal([...out.slice(0, 5)], [0, 0, 0, 0, 0]);
  assert.ok(out[5]! > 0 && out[6]! > 0 && out[7]! > 0);
});

test('pinv quadratic form: the inverse for full rank, the pseudo-inverse when singular', () => {
  const ws = quadraticWorkspace(3);
  // full rank: x' C^-1 x with C = diag(4, 1, 0.25) and x = (2, 1, 0.5): 1 + 1 + 1
  assert.is(pinvQuadraticForm(new Float64Array([4, 0, 0, 0, 1, 0, 0, 0, 0.25]), new Float64Array([2, 1, 0.5]), 3, ws), 3);
  // rank 1: C = v v' with v = (1, 1, 0); pinv(C) = v v' / |v|^4, so x' pinv(C) x = (v.x)^2 / 4
  const singular = new Float64Array([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  const form = pinvQuadraticForm(singular, new Float64Array([3, 1, 7]), 3, ws);
  assert.ok(Math.abs(form - 16 / 4) < 1e-12, String(form));
});

test.run();
