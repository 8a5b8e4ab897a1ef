/** pyfolio perf_stats against the golden numbers from pyfolio/empyrical on account_value.csv. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readCsvTable } from '../env/csv-table.ts';
import { PERF_STAT_NAMES, dailyReturns, perfStats, statsToJson, skew, kurtosis, tailRatio, stabilityOfTimeseries } from '../../steps/lib/perf-stats/perf-stats.ts';

const FIXTURES = new URL('../fixtures/backtest/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('backtest_stats.expected.json', FIXTURES), 'utf8')) as Record<string, number | null>;
const accountValue = readCsvTable(new URL('account_value.csv', FIXTURES).pathname).columns.account_value as Float64Array;

test('returns are pct_change with a leading NaN', () => {
  const r = dailyReturns(Float64Array.from([100, 110, 99]));
  assert.ok(Number.isNaN(r[0]!));
  assert.is(r[1], 110 / 100 - 1);
  assert.is(r[2], 99 / 110 - 1);
});

test('reproduces pyfolio perf_stats on account_value.csv to 1e-9, null where pyfolio gives NaN', () => {
  const stats = statsToJson(perfStats(dailyReturns(accountValue)));
  assert.equal(Object.keys(stats), Object.keys(expected), 'same names in the same order');
  for (const name of PERF_STAT_NAMES) {
    const want = expected[name];
    const got = stats[name];
    if (want === null) assert.is(got, null, `${name} is NaN in pyfolio`);
    else assert.ok(got !== null && Math.abs(got - want!) <= 1e-9, `${name}: ${got} vs ${want}`);
  }
});

test('skew and kurtosis are computed when no NaN is present (scipy biased estimators)', () => {
  const x = Float64Array.from([0.01, -0.02, 0.03, 0.0, 0.05]);
  // scipy.stats.skew / kurtosis of these values
  const mean = 0.014;
  const d = Array.from(x, (v) => v - mean);
  const m2 = d.reduce((s, v) => s + v * v, 0) / 5;
  const m3 = d.reduce((s, v) => s + v ** 3, 0) / 5;
  const m4 = d.reduce((s, v) => s + v ** 4, 0) / 5;
  assert.ok(Math.abs(skew(x) - m3 / m2 ** 1.5) < 1e-12);
  assert.ok(Math.abs(kurtosis(x) - (m4 / m2 ** 2 - 3)) < 1e-12);
  assert.ok(Number.isNaN(skew(Float64Array.from([0.01, 0.01, 0.01]))), 'constant series: NaN as in scipy');
});

test('degenerate inputs give NaN rather than numbers', () => {
  const one = perfStats(dailyReturns(Float64Array.from([100])));
  assert.ok(Number.isNaN(one['Annual volatility']));
  assert.ok(Number.isNaN(one['Sharpe ratio']));
  assert.ok(Number.isNaN(tailRatio(Float64Array.from([NaN]))));
  assert.ok(Number.isNaN(stabilityOfTimeseries(Float64Array.from([NaN, 0.1]))));
  const flat = perfStats(dailyReturns(Float64Array.from([100, 100, 100])));
  assert.ok(Number.isNaN(flat['Calmar ratio']), 'no drawdown: NaN');
  assert.ok(Number.isNaN(flat['Omega ratio']), 'no losses: NaN');
  assert.is(flat['Max drawdown'], 0);
});

test.run();
